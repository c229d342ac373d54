package shellcmd

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UnprintableError is a value refused because printing it, even quoted,
// would put a rune on the terminal that acts on it or hides.
type UnprintableError struct {
	// Value is the whole value, escaped (Go string syntax, no quotes).
	Value string
	// Rune is the offending rune; utf8.RuneError with Invalid set for a
	// byte that is not UTF-8.
	Rune    rune
	Invalid bool
	// Offset is the rune's byte offset in the value.
	Offset int
}

func (e *UnprintableError) Error() string {
	return fmt.Sprintf("value %q holds %s at byte %d: a command with it would not paste as what it shows, so it is not printed", e.Value, e.What(), e.Offset)
}

// What names the offending rune, escaped: `U+001B (a control character, \x1b)`.
func (e *UnprintableError) What() string {
	if e.Invalid {
		return "a byte that is not UTF-8"
	}
	q := strconv.QuoteRuneToASCII(e.Rune)
	return fmt.Sprintf("U+%04X (%s, %s)", e.Rune, kind(e.Rune), q[1:len(q)-1])
}

func kind(r rune) string {
	switch {
	case r == '\u2028' || r == '\u2029':
		return "a line or paragraph separator"
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return "a bidirectional override"
	case unicode.IsControl(r):
		return "a control character"
	}
	return "an invisible format character"
}

// Check returns an *UnprintableError when s holds a rune Word refuses.
func Check(s string) error {
	for i, r := range s {
		invalid := r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")
		if invalid || refused(r) {
			return &UnprintableError{Value: escape(s), Rune: r, Invalid: invalid, Offset: i}
		}
	}
	return nil
}

// refused: C0, DEL and C1 (Cc), format characters (Cf: bidi marks,
// overrides and isolates, zero-width characters, soft hyphen, BOM), and
// the line and paragraph separators (Zl, Zp).
func refused(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// escape is s in Go string syntax without the quotes: safe to print.
func escape(s string) string {
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}

// safe reports whether b is a byte no shell expands or splits on, in any
// position but the first (see Word).
func safe(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("_./:,@+%-=", b) >= 0
}

// Word is s as one shell word: bare when plainly safe, else single-quoted.
// It refuses (*UnprintableError) a value that holds a control, format or
// separator rune, or invalid UTF-8.
func Word(s string) (string, error) {
	if err := Check(s); err != nil {
		return "", err
	}
	return quote(s), nil
}

func quote(s string) string {
	bare := s != "" && s[0] != '='
	for i := 0; bare && i < len(s); i++ {
		bare = safe(s[i])
	}
	if bare {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Line is argv as one command line, each word rendered by Word. The first
// refused word's error is returned, with nothing printed.
func Line(argv ...string) (string, error) {
	if len(argv) == 0 {
		return "", fmt.Errorf("shellcmd: an empty command")
	}
	out := make([]string, len(argv))
	for i, a := range argv {
		w, err := Word(a)
		if err != nil {
			return "", err
		}
		out[i] = w
	}
	return strings.Join(out, " "), nil
}

// OptionError is a value refused where a command reads it as a word of
// its own (an operand, or a flag's separate value): starting with -, it
// would be read as an option instead (kubectl get pod --kubeconfig=/x).
type OptionError struct {
	// Value is the whole value, escaped (Go string syntax, no quotes).
	Value string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("value %q starts with -: a command would read it as an option, not as the name, so it is not printed", e.Value)
}

// Operand is s as one shell word a command reads as an operand: Word,
// refusing (*OptionError) a value that starts with -. Names that reach a
// command line bound to a flag are written --flag=VALUE, one Word, instead.
func Operand(s string) (string, error) {
	w, err := Word(s)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(s, "-") {
		return "", &OptionError{Value: escape(s)}
	}
	return w, nil
}
