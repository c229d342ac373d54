package finding

import (
	"fmt"
	"strconv"
	"strings"
)

// template is the catalog's small template language. text/template would
// do, but its reflection keeps every exported method in the binary (2.5 MB
// of a 12 MB binary pulled into every pod). The catalog needs only:
//
//	{{.key}}              the evidence value, or nothing
//	{{d .key "DEFAULT"}}  the value, or DEFAULT (a literal or another .key)
//	{{fn .key}}           a valueFuncs function of the value
//	{{fn .}}              an evidenceFuncs function of all the evidence
//	{{if .key}}…{{end}}   the text when the value is set (not nested)
//	{{if .key "V"}}…{{end}}  the text when the value is V
//	{{if …}}…{{else}}…{{end}}  and the other text otherwise
type template struct {
	name  string
	nodes []tnode
}

type tnode struct {
	text string   // literal text, when the rest is empty
	fn   string   // "", "d", or a function name
	args []string // ".key", "." or a quoted literal
	body []tnode  // for "if"
	alt  []tnode  // for "if": the {{else}} part
}

// parseTemplate parses src; catalog templates are constants, so a
// syntax error is a bug the tests catch at init.
func parseTemplate(name, src string) (*template, error) {
	nodes, rest, _, err := parseNodes(src, false)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	if rest != "" {
		return nil, fmt.Errorf("template %s: {{end}} without {{if}}", name)
	}
	return &template{name: name, nodes: nodes}, nil
}

// parseNodes parses up to the {{else}} or {{end}} closing an {{if}} (inIf),
// which it returns as closer.
func parseNodes(src string, inIf bool) (nodes []tnode, rest, closer string, err error) {
	for src != "" {
		i := strings.Index(src, "{{")
		if i < 0 {
			nodes = append(nodes, tnode{text: src})
			src = ""
			break
		}
		if i > 0 {
			nodes = append(nodes, tnode{text: src[:i]})
		}
		j := strings.Index(src[i:], "}}")
		if j < 0 {
			return nil, "", "", fmt.Errorf("unclosed {{ at %q", src[i:min(len(src), i+20)])
		}
		action := strings.TrimSpace(src[i+2 : i+j])
		src = src[i+j+2:]
		words, err := splitAction(action)
		if err != nil {
			return nil, "", "", err
		}
		switch {
		case words[0] == "end" || words[0] == "else":
			if !inIf {
				return nil, "", "", fmt.Errorf("{{%s}} without {{if}}", words[0])
			}
			return nodes, src, words[0], nil
		case words[0] == "if":
			if inIf {
				return nil, "", "", fmt.Errorf("nested {{if}} is not supported")
			}
			if len(words) < 2 || len(words) > 3 || !strings.HasPrefix(words[1], ".") || (len(words) == 3 && !strings.HasPrefix(words[2], `"`)) {
				return nil, "", "", fmt.Errorf(`want {{if .key}} or {{if .key "VALUE"}}, got {{%s}}`, action)
			}
			body, after, closer, err := parseNodes(src, true)
			if err != nil {
				return nil, "", "", err
			}
			n := tnode{fn: "if", args: words[1:], body: body}
			if closer == "else" {
				if n.alt, after, closer, err = parseNodes(after, true); err != nil {
					return nil, "", "", err
				}
				if closer != "end" {
					return nil, "", "", fmt.Errorf("{{else}} twice in one {{if}}")
				}
			}
			nodes = append(nodes, n)
			src = after
		case strings.HasPrefix(words[0], "."):
			if len(words) != 1 {
				return nil, "", "", fmt.Errorf("bad action {{%s}}", action)
			}
			nodes = append(nodes, tnode{fn: "", args: words})
		case words[0] == "d":
			if len(words) != 3 {
				return nil, "", "", fmt.Errorf("want {{d .key DEFAULT}}, got {{%s}}", action)
			}
			nodes = append(nodes, tnode{fn: "d", args: words[1:]})
		default:
			_, isEv := evidenceFuncs[words[0]]
			_, isVal := valueFuncs[words[0]]
			if len(words) != 2 || (words[1] == "." && !isEv) || (words[1] != "." && !isVal) {
				return nil, "", "", fmt.Errorf("unknown function or wrong argument in {{%s}}", action)
			}
			nodes = append(nodes, tnode{fn: words[0], args: words[1:]})
		}
	}
	if inIf {
		return nil, "", "", fmt.Errorf("{{if}} without {{end}}")
	}
	return nodes, "", "", nil
}

// splitAction splits an action into words, keeping quoted literals whole.
func splitAction(action string) ([]string, error) {
	var words []string
	for action = strings.TrimSpace(action); action != ""; action = strings.TrimSpace(action) {
		if action[0] == '"' {
			lit, err := strconv.QuotedPrefix(action)
			if err != nil {
				return nil, fmt.Errorf("bad string in {{%s}}", action)
			}
			words = append(words, lit)
			action = action[len(lit):]
			continue
		}
		end := strings.IndexAny(action, " \t")
		if end < 0 {
			end = len(action)
		}
		words = append(words, action[:end])
		action = action[end:]
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty action {{}}")
	}
	return words, nil
}

func (t *template) execute(ev Evidence) string {
	var b strings.Builder
	execNodes(&b, t.nodes, ev, nil)
	return b.String()
}

// executeShell renders a fix: clean is the escaped evidence, for prose;
// raw the evidence as it was found, for commands. On a command line (two
// spaces in, the catalog's form) every value goes through package
// shellcmd as a word of its own kind of quoting; one it refuses drops its
// line for a prose line saying why (finishFix).
func (t *template) executeShell(clean, raw Evidence) string {
	var b strings.Builder
	execNodes(&b, t.nodes, clean, raw)
	return finishFix(b.String())
}

func execNodes(b *strings.Builder, nodes []tnode, ev, raw Evidence) {
	value := func(a string) string {
		k, isKey := strings.CutPrefix(a, ".")
		if !isKey || raw == nil || !onCommandLine(b.String()) {
			return arg(a, ev)
		}
		return wordIn(b.String(), raw[k])
	}
	for _, n := range nodes {
		switch n.fn {
		case "":
			if n.args == nil {
				b.WriteString(n.text)
			} else {
				b.WriteString(value(n.args[0]))
			}
		case "if":
			v := arg(n.args[0], ev)
			if (len(n.args) == 1 && v != "") || (len(n.args) == 2 && v == arg(n.args[1], ev)) {
				execNodes(b, n.body, ev, raw)
			} else {
				execNodes(b, n.alt, ev, raw)
			}
		case "d":
			b.WriteString(orDefault(value(n.args[0]), value(n.args[1])))
		default:
			cmd := raw != nil && onCommandLine(b.String())
			src := ev
			if cmd {
				src = raw
			}
			var out string
			if n.args[0] == "." {
				out = evidenceFuncs[n.fn](src)
			} else {
				out = valueFuncs[n.fn](arg(n.args[0], src))
			}
			if cmd && wordFuncs[n.fn] {
				out = wordIn(b.String(), out)
			}
			b.WriteString(out)
		}
	}
}

// arg is a .key's value or a literal's text.
func arg(a string, ev Evidence) string {
	if strings.HasPrefix(a, `"`) {
		s, _ := strconv.Unquote(a) // validated by splitAction
		return s
	}
	return ev[strings.TrimPrefix(a, ".")]
}
