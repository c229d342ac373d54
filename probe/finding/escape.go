package finding

import (
	"strconv"
	"strings"
	"unicode"
)

// Escape makes a value from outside (the environment, a token's claims,
// an AWS error message) safe to print on one line: control characters,
// line and paragraph separators and bidirectional overrides become Go
// escapes (\n, \x1b, \u202e), so a value cannot forge a line of the report
// or of the termination log, nor reorder what a terminal shows.
func Escape(s string) string {
	if !strings.ContainsFunc(s, unsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !unsafe(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r) // '\n', '\x1b', '\u202e'
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func unsafe(r rune) bool {
	switch {
	case unicode.IsControl(r), r == unicode.ReplacementChar:
		return true
	case r == '\u2028', r == '\u2029': // line and paragraph separators
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f': // bidi
		return true
	}
	return false
}
