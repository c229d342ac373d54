package migrate

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
)

// hostileWorld is a plan whose words hold everything a shell reads: a
// trust policy with quotes, $, backquotes and ! in a Sid, and a canary
// spec file named like a command substitution.
func hostileWorld() *world {
	w := newWorld()
	pol := strings.Replace(irsaOnlyPolicy, `"Effect": "Allow",`, `"Sid": "it's $(id) `+"`id`"+` !! ${HOME} ~ *",
      "Effect": "Allow",`, 1)
	w.in.Policies = []fleet.PolicyChange{{Role: "billing-api", File: "it's.json", Doc: mustPolicy(pol)}}
	w.in.ProveFlags = []string{"--canary-pod-spec=it's $(id) #x.json"}
	w.listing.Kubectl = []string{"--context=arn:aws:eks:us-west-2:111122223333:cluster/prod", "--kubeconfig=/home/me/my kube/config"}
	return w
}

// allCommands is every command a plan prints, steps and findings, in
// order.
func allCommands(ps []*Plan) []PlanCommand {
	var out []PlanCommand
	for _, p := range ps {
		for _, f := range p.Findings {
			out = append(out, f.Commands...)
		}
		for _, s := range p.Steps {
			out = append(out, s.Commands...)
		}
	}
	return out
}

// TestCommandsParseAsArgv parses every printed line with a real shell
// parser (mvdan.cc/sh, bash and POSIX) and checks it is exactly the
// intended argv: one statement, no comment, simple commands joined by
// pipes, every word literal or single-quoted (nothing a shell expands).
func TestCommandsParseAsArgv(t *testing.T) {
	cs := allCommands(hostileWorld().plans())
	if len(cs) < 8 {
		t.Fatalf("only %d commands", len(cs))
	}
	for _, lang := range []syntax.LangVariant{syntax.LangBash, syntax.LangPOSIX} {
		for _, c := range cs {
			if c.Error != "" {
				t.Fatalf("not printed: %s", c.Error)
			}
			got, err := parseArgv(c.Line, lang)
			if err != nil {
				t.Errorf("%s: %q: %v", lang, c.Line, err)
				continue
			}
			if !equalCommands([]Command{got}, []Command{c.Argv}) {
				t.Errorf("%s parses %q as\n %q, want\n %q", lang, c.Line, got, c.Argv)
			}
		}
	}
}

// parseArgv reads line back into argvs, refusing anything but literal
// words of simple commands in a pipeline.
func parseArgv(line string, lang syntax.LangVariant) (Command, error) {
	f, err := syntax.NewParser(syntax.Variant(lang), syntax.KeepComments(true)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, err
	}
	if len(f.Stmts) != 1 || len(f.Last) != 0 || len(f.Stmts[0].Comments) != 0 {
		return nil, errorf("%d statements, %d trailing comments", len(f.Stmts), len(f.Last))
	}
	st := f.Stmts[0]
	if st.Background || st.Negated || len(st.Redirs) != 0 {
		return nil, errorf("not a plain statement")
	}
	var out Command
	var walk func(c syntax.Command) error
	walk = func(c syntax.Command) error {
		switch x := c.(type) {
		case *syntax.BinaryCmd:
			if x.Op != syntax.Pipe {
				return errorf("operator %s", x.Op)
			}
			if err := walk(x.X.Cmd); err != nil {
				return err
			}
			return walk(x.Y.Cmd)
		case *syntax.CallExpr:
			if len(x.Assigns) != 0 {
				return errorf("an assignment")
			}
			var argv []string
			for _, w := range x.Args {
				s, err := literal(w)
				if err != nil {
					return err
				}
				argv = append(argv, s)
			}
			out = append(out, argv)
			return nil
		}
		return errorf("a %T", c)
	}
	if err := walk(st.Cmd); err != nil {
		return nil, err
	}
	return out, nil
}

func literal(w *syntax.Word) (string, error) {
	var b strings.Builder
	for _, p := range w.Parts {
		switch x := p.(type) {
		case *syntax.Lit:
			// Outside quotes a backslash escapes the next character.
			for i := 0; i < len(x.Value); i++ {
				if x.Value[i] == '\\' && i+1 < len(x.Value) {
					i++
				}
				b.WriteByte(x.Value[i])
			}
		case *syntax.SglQuoted:
			if x.Dollar {
				return "", errorf("$'…'")
			}
			b.WriteString(x.Value)
		default:
			return "", errorf("a %T in a word", p)
		}
	}
	return b.String(), nil
}

type parseError string

func (e parseError) Error() string { return string(e) }

func errorf(s string, args ...any) error {
	if len(args) > 0 {
		s = strings.ReplaceAll(s, "%s", "%v")
		return parseError(sprintf(s, args...))
	}
	return parseError(s)
}

// stubs writes aws, kubectl and irsa-probe stubs that record their argv
// (the program's name, then each word, each ended by RS) one call a line;
// aws list-pod-identity-associations prints an association id.
func stubs(t *testing.T) (dir, log string) {
	dir = t.TempDir()
	log = filepath.Join(dir, "argv.log")
	rec := `{ printf '%s\036' "${0##*/}" "$@"; printf '\n'; } >> "$ARGV_LOG"
`
	for name, body := range map[string]string{
		"aws": rec + `case "$2" in list-pod-identity-associations) printf 'a-0123456789abcdef0\n';; get-role) printf '{}\n';; esac
`,
		"kubectl":    rec,
		"irsa-probe": rec + "cat >/dev/null\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, log
}

// TestPlanPastes pastes the whole plan, every command of every step and
// finding, into bash, dash and interactive zsh against stub aws, kubectl
// and irsa-probe, and compares the argv they recorded with the plan's.
func TestPlanPastes(t *testing.T) {
	cs := allCommands(hostileWorld().plans())
	var script strings.Builder
	var want []string
	for _, c := range cs {
		script.WriteString(c.Line + "\n")
		for _, argv := range c.Argv {
			if argv[0] == "xargs" {
				// xargs -r -n 1 CMD… runs CMD… with the id the stub listed.
				argv = append(slices.Clone(argv[4:]), "a-0123456789abcdef0")
			}
			want = append(want, record(argv))
		}
	}
	slices.Sort(want)
	for _, sh := range [][]string{{"bash"}, {"dash"}, {"zsh", "-f", "-i"}} {
		t.Run(sh[0], func(t *testing.T) {
			path, err := exec.LookPath(sh[0])
			if err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s is not installed", sh[0])
				}
				t.Skipf("%s is not installed", sh[0])
			}
			dir, log := stubs(t)
			cmd := exec.Command(path, sh[1:]...)
			cmd.Stdin = strings.NewReader(script.String())
			cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "HOME=" + t.TempDir(), "PS1=", "PS2=", "HISTFILE=", "ARGV_LOG=" + log,
				"AWS_EC2_METADATA_DISABLED=true"}
			var errb strings.Builder
			cmd.Stderr = &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %v\n%s", sh, err, errb.String())
			}
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%v recorded\n%s\nwant\n%s", sh, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func record(argv []string) string {
	var b strings.Builder
	for _, a := range argv {
		b.WriteString(a + "\x1e")
	}
	return b.String()
}

var sprintf = fmt.Sprintf
