package shelltest

import (
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Command is one simple command of a parsed line: its words as the shell
// passes them, and its redirections ("> trust-policy.json").
type Command struct {
	Argv      []string
	Redirects []string
}

// Parse reads line as bash does and returns its commands: one simple
// command, or a pipeline of them. It fails on anything else: more than one
// statement (a newline, ;, &&, &), a comment, an assignment, a parameter
// or arithmetic expansion, a glob or brace outside quotes, a leading = or
// ~, a ! anywhere unquoted (history expansion in interactive shells). A
// command substitution is allowed only inside double quotes, and is
// returned in its word as $(WORDS…), its words rendered the same way.
func Parse(line string) ([]Command, error) {
	if strings.ContainsAny(line, "\n\r") {
		return nil, fmt.Errorf("more than one line")
	}
	f, err := syntax.NewParser(syntax.KeepComments(true), syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, err
	}
	if len(f.Stmts) != 1 || len(f.Last) != 0 {
		return nil, fmt.Errorf("%d statements and %d trailing comments, want one statement", len(f.Stmts), len(f.Last))
	}
	return stmt(f.Stmts[0])
}

func stmt(s *syntax.Stmt) ([]Command, error) {
	if len(s.Comments) > 0 {
		return nil, fmt.Errorf("a comment: %q", s.Comments[0].Text)
	}
	if s.Negated || s.Background || s.Coprocess || s.Semicolon.IsValid() {
		return nil, fmt.Errorf("a control operator (!, &, ;)")
	}
	var redirs []string
	for _, r := range s.Redirs {
		w, err := word(r.Word)
		if err != nil {
			return nil, err
		}
		if r.N != nil || (r.Op != syntax.RdrOut && r.Op != syntax.AppOut && r.Op != syntax.RdrIn) {
			return nil, fmt.Errorf("redirection %s", r.Op)
		}
		redirs = append(redirs, r.Op.String()+" "+w)
	}
	switch c := s.Cmd.(type) {
	case *syntax.CallExpr:
		if len(c.Assigns) > 0 {
			return nil, fmt.Errorf("an assignment")
		}
		cmd := Command{Redirects: redirs}
		for _, a := range c.Args {
			w, err := word(a)
			if err != nil {
				return nil, err
			}
			cmd.Argv = append(cmd.Argv, w)
		}
		return []Command{cmd}, nil
	case *syntax.BinaryCmd:
		if c.Op != syntax.Pipe || len(redirs) > 0 {
			return nil, fmt.Errorf("operator %s", c.Op)
		}
		x, err := stmt(c.X)
		if err != nil {
			return nil, err
		}
		y, err := stmt(c.Y)
		if err != nil {
			return nil, err
		}
		return append(x, y...), nil
	}
	return nil, fmt.Errorf("not a simple command: %T", s.Cmd)
}

// word is w's value, failing on anything a shell would expand.
func word(w *syntax.Word) (string, error) {
	var b strings.Builder
	for i, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			v, err := lit(p.Value, i == 0)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", fmt.Errorf("$'…' (dash has none)")
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			if p.Dollar {
				return "", fmt.Errorf(`$"…"`)
			}
			for _, q := range p.Parts {
				switch q := q.(type) {
				case *syntax.Lit:
					if strings.Contains(q.Value, "!") {
						return "", fmt.Errorf("! in double quotes (history expansion in interactive shells)")
					}
					b.WriteString(unescapeDouble(q.Value))
				case *syntax.CmdSubst:
					if len(q.Stmts) != 1 {
						return "", fmt.Errorf("a command substitution of %d statements", len(q.Stmts))
					}
					cmds, err := stmt(q.Stmts[0])
					if err != nil {
						return "", fmt.Errorf("in $(…): %w", err)
					}
					var inner []string
					for _, c := range cmds {
						inner = append(inner, strings.Join(append(c.Argv, c.Redirects...), " "))
					}
					b.WriteString("$(" + strings.Join(inner, " | ") + ")")
				default:
					return "", fmt.Errorf("an expansion %T in double quotes", q)
				}
			}
		default:
			return "", fmt.Errorf("an expansion %T", p)
		}
	}
	return b.String(), nil
}

// lit is an unquoted literal's value, failing on what would glob, expand
// or be history-expanded in any of bash, dash or interactive zsh.
func lit(v string, first bool) (string, error) {
	if first && (strings.HasPrefix(v, "=") || strings.HasPrefix(v, "~")) {
		return "", fmt.Errorf("unquoted %q expands in zsh", v)
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		case strings.IndexByte("*?[]{}!#^~$", c) >= 0:
			return "", fmt.Errorf("unquoted %q in %q", c, v)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// unescapeDouble is a double-quoted literal's value: a backslash escapes
// only $ ` " \ and newline.
func unescapeDouble(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("$`\"\\\n", v[i+1]) >= 0 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
