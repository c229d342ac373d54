package finding

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

// Every fix is printed as lines a person pastes into a shell, indented
// under "fix:": prose lines flush, command lines two spaces in. So a fix
// never uses a heredoc (its closing word would be indented and never end
// it) nor a trailing # comment (interactive zsh reads it as words), and
// every value on a command line is a word rendered by package shellcmd.

// refusedMark brackets a value shellcmd refused, in a rendered fix until
// finishFix replaces its line: \x00 ESCAPED \x01 WHY \x00. Neither byte
// survives rendering otherwise (shellcmd refuses them, Escape escapes them).
const refusedMark, refusedWhy = "\x00", "\x01"

// refused is the mark of a value shellcmd refused.
func refused(v string, err error) string {
	return refusedMark + Escape(v) + refusedWhy + err.Error() + refusedMark
}

// word is v as one shell word, or its refusal mark.
func word(v string) string {
	w, err := shellcmd.Word(v)
	if err != nil {
		return refused(v, err)
	}
	return w
}

// operand is v as one shell word a command reads as an operand, or its
// refusal mark: one starting with - would be read as an option.
func operand(v string) string {
	w, err := shellcmd.Operand(v)
	if err != nil {
		return refused(v, err)
	}
	return w
}

// optionLike is the refusal mark of the first of vs that starts with -
// (a value a command line holds as a word of its own), or "".
func optionLike(vs ...string) string {
	for _, v := range vs {
		if _, err := shellcmd.Operand(v); err != nil {
			var oe *shellcmd.OptionError
			if errors.As(err, &oe) {
				return refused(v, err)
			}
		}
	}
	return ""
}

// line is argv as one command line, or the refusal mark of its first
// refused word.
func line(argv ...string) string {
	l, err := shellcmd.Line(argv...)
	if err != nil {
		var ue *shellcmd.UnprintableError
		if errors.As(err, &ue) {
			return refusedMark + ue.Value + refusedWhy + err.Error() + refusedMark
		}
		return refused(strings.Join(argv, " "), err)
	}
	return l
}

// onCommandLine reports whether the text rendered so far ends in a
// command line: one indented by two spaces.
func onCommandLine(rendered string) bool {
	return strings.HasPrefix(rendered[strings.LastIndexByte(rendered, '\n')+1:], "  ")
}

// wordIn is v as a word at the end of the rendered text: inside a
// template's single or double quotes, the quotes are closed around it and
// reopened, so the value is one shell word of its own quoting whatever the
// template around it quotes. A value that would begin a word is an
// operand (or a flag's separate value): one starting with - is refused,
// else the command would read it as an option; bound to a flag
// (--namespace=VALUE) or inside a word, it may. Empty stays empty (a
// template's default takes over).
func wordIn(rendered, v string) string {
	if v == "" {
		return ""
	}
	w := word(v)
	if beginsWord(rendered) {
		w = operand(v)
	}
	if w == v || strings.Contains(w, refusedMark) {
		return w
	}
	switch quoteContext(rendered[strings.LastIndexByte(rendered, '\n')+1:]) {
	case '\'':
		return "'" + w + "'"
	case '"':
		return `"` + w + `"`
	}
	return w
}

// beginsWord reports whether a value written after rendered begins a
// shell word: only quotes stand between it and a blank or the line's start.
func beginsWord(rendered string) bool {
	tail := strings.TrimRight(rendered[strings.LastIndexByte(rendered, '\n')+1:], `'"`)
	return tail == "" || strings.HasSuffix(tail, " ") || strings.HasSuffix(tail, "\t")
}

// quoteContext is the quoting open at the end of a line of shell: 0
// (none, or inside $( ) within double quotes), '\” or '"'.
func quoteContext(s string) byte {
	stack := []byte{0}
	for i := 0; i < len(s); i++ {
		top := stack[len(stack)-1]
		c := s[i]
		switch top {
		case '\'':
			if c == '\'' {
				stack = stack[:len(stack)-1]
			}
		case '"':
			switch {
			case c == '\\':
				i++
			case c == '"':
				stack = stack[:len(stack)-1]
			case c == '$' && i+1 < len(s) && s[i+1] == '(':
				stack = append(stack, '(')
				i++
			}
		default:
			switch {
			case c == '\\':
				i++
			case c == '\'' || c == '"':
				stack = append(stack, c)
			case c == '$' && i+1 < len(s) && s[i+1] == '(':
				stack = append(stack, '(')
				i++
			case c == ')' && top == '(':
				stack = stack[:len(stack)-1]
			}
		}
	}
	if top := stack[len(stack)-1]; top != '(' {
		return top
	}
	return 0
}

// finishFix replaces each command line holding a refused value with a
// prose line saying which value and why; in prose, a refused value is
// shown escaped.
func finishFix(fix string) string {
	if !strings.Contains(fix, refusedMark) {
		return fix
	}
	lines := strings.Split(fix, "\n")
	for i, l := range lines {
		if !strings.Contains(l, refusedMark) {
			continue
		}
		parts := strings.Split(l, refusedMark)
		if strings.HasPrefix(l, "  ") {
			_, why, _ := strings.Cut(parts[1], refusedWhy)
			lines[i] = "(A command is not printed here: " + why + ".)"
			continue
		}
		for j := 1; j < len(parts); j += 2 {
			parts[j], _, _ = strings.Cut(parts[j], refusedWhy)
		}
		lines[i] = strings.Join(parts, "")
	}
	return strings.Join(lines, "\n")
}

// writeFileCommand is a command that writes the JSON document doc to
// name: printf with the document compacted onto one line, so the command
// is one line and its word holds no newline.
func writeFileCommand(name, doc string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(doc)); err != nil {
		panic("finding: a policy document that is not JSON: " + err.Error()) // built by package iam
	}
	return line("printf", `%s\n`, b.String()) + " > " + name
}
