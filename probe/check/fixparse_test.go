package check_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd/shelltest"
)

// hostileWord is a value a pod's environment or token could hold that
// every shell would act on if it escaped its quoting: a quote, command
// substitutions, a separator, a comment, globs, history, EQUALS and a
// brace expansion. No / or : so that functions deriving a value from it
// (a URL's host, an ARN's role name) treat it as they treat a token.
const hostileWord = `x'y"$(touch pwned)"; ` + "`touch pwned`" + ` #!!*~{a,b} =ls`

// derivedKeys are keys whose values fixes transform before printing
// (split into words, cut to a pattern, or matched by prefix): a hostile
// value takes another shape than a token there, by design. Their commands
// are still parsed (TestCatalogFixesRefuseControls and the fuzz target of
// package finding); only the token comparison skips them.
var derivedKeys = map[string]bool{finding.EvShadowVars: true, finding.EvSessionName: true, finding.EvIMDS: true,
	finding.EvGotARN: true, finding.EvEndpoint: true,
	// Values a JSON patch holds: one that is not a DNS name or a number
	// becomes a placeholder, so it cannot add fields to the patch.
	finding.EvExpectedSA: true, finding.EvFSGroup: true}

// TestCatalogFixesParse renders every catalog fix twice per evidence key:
// with a plain token as that key's value, then with a hostile one. Every
// command line of both is read by a real shell parser: each must be the
// same simple commands (or pipeline), with the hostile rendering's argv
// exactly the token's argv with the token replaced by the hostile value.
func TestCatalogFixesParse(t *testing.T) {
	for _, c := range fixCases() {
		for _, k := range slices.Sorted(maps.Keys(c.ev)) {
			if derivedKeys[k] {
				continue
			}
			token := "tok" + strings.ReplaceAll(k, "_", "") + "z"
			plainEv, hostileEv := maps.Clone(c.ev), maps.Clone(c.ev)
			plainEv[k], hostileEv[k] = token, hostileWord+k
			plain, hostile := finding.New(c.code, plainEv).Fix, finding.New(c.code, hostileEv).Fix
			pl, hl := strings.Split(plain, "\n"), strings.Split(hostile, "\n")
			if len(pl) != len(hl) {
				t.Errorf("%s, %s hostile: %d lines, want %d:\n%s", c.name, k, len(hl), len(pl), hostile)
				continue
			}
			for i := range pl {
				if !strings.HasPrefix(pl[i], "  ") {
					if strings.HasPrefix(hl[i], "  ") {
						t.Errorf("%s, %s hostile: prose line %d became a command: %q", c.name, k, i+1, hl[i])
					}
					continue
				}
				pc, err := shelltest.Parse(pl[i])
				if err != nil {
					t.Errorf("%s: line %d %q: %v", c.name, i+1, pl[i], err)
					continue
				}
				hc, err := shelltest.Parse(hl[i])
				if err != nil {
					t.Errorf("%s, %s hostile: line %d %q: %v", c.name, k, i+1, hl[i], err)
					continue
				}
				want := replaceWords(pc, token, hostileWord+k)
				for j := range min(len(pc), len(hc)) {
					for a := range min(len(pc[j].Argv), len(hc[j].Argv)) {
						if strings.HasPrefix(pc[j].Argv[a], "{") && json.Valid([]byte(pc[j].Argv[a])) && !json.Valid([]byte(hc[j].Argv[a])) {
							t.Errorf("%s, %s hostile: line %d: the value broke out of a JSON document: %q", c.name, k, i+1, hc[j].Argv[a])
						}
					}
				}
				if fmt.Sprint(hc) != fmt.Sprint(want) {
					t.Errorf("%s, %s hostile: line %d %q\nruns  %q\nwant  %q", c.name, k, i+1, hl[i], hc, want)
				}
			}
		}
	}
}

// replaceWords is cmds with old replaced by new in every word; in a JSON
// document (a trust policy printf writes), by new as a JSON string holds it.
func replaceWords(cmds []shelltest.Command, old, new string) []shelltest.Command {
	var out []shelltest.Command
	b, _ := json.Marshal(new)
	inJSON := strings.ReplaceAll(string(b[1:len(b)-1]), `\u0026`, "&")
	for _, c := range cmds {
		var r shelltest.Command
		for _, a := range c.Argv {
			if json.Valid([]byte(a)) && strings.HasPrefix(a, "{") {
				r.Argv = append(r.Argv, strings.ReplaceAll(a, old, inJSON))
				continue
			}
			r.Argv = append(r.Argv, strings.ReplaceAll(a, old, new))
		}
		for _, a := range c.Redirects {
			r.Redirects = append(r.Redirects, strings.ReplaceAll(a, old, new))
		}
		out = append(out, r)
	}
	return out
}

// TestCatalogFixesRefuseControls: a value with a control, format or
// separator character never reaches a fix raw: a command it would be
// part of is replaced by a prose line saying why, and every command line
// left still parses as a simple command.
func TestCatalogFixesRefuseControls(t *testing.T) {
	for _, v := range []string{"web\x1b[2K\r    kubectl delete ns prod", "a\nkubectl delete ns prod", "rtl\u202eorp", "x\xff"} {
		for _, c := range fixCases() {
			for _, k := range slices.Sorted(maps.Keys(c.ev)) {
				ev := maps.Clone(c.ev)
				ev[k] = v
				fix := finding.New(c.code, ev).Fix
				for i, l := range strings.Split(fix, "\n") {
					if err := shellcmd.Check(l); err != nil {
						t.Errorf("%s, %s=%q: line %d: %v", c.name, k, v, i+1, err)
					}
					if !strings.HasPrefix(l, "  ") {
						continue
					}
					if _, err := shelltest.Parse(l); err != nil {
						t.Errorf("%s, %s=%q: line %d %q: %v", c.name, k, v, i+1, l, err)
					}
				}
			}
		}
	}
}

// TestCatalogFixesRefuseOptionLike renders every catalog fix with each
// evidence key set to a value that starts with -, as a namespace editor
// can write one into an annotation or a pod's env. A command line holding
// it must read it bound to its flag (--namespace=VALUE, one word), never
// as a word of its own that kubectl, aws or a package manager would take
// for an option; or the command is refused with a prose line saying why.
func TestCatalogFixesRefuseOptionLike(t *testing.T) {
	for _, c := range fixCases() {
		for _, k := range slices.Sorted(maps.Keys(c.ev)) {
			if derivedKeys[k] {
				continue
			}
			token := "tok" + strings.ReplaceAll(k, "_", "") + "z"
			for _, dash := range []string{"--kubeconfig=/tmp/evil" + strings.ReplaceAll(k, "_", ""), "-" + strings.ReplaceAll(k, "_", "")} {
				plainEv, dashEv := maps.Clone(c.ev), maps.Clone(c.ev)
				plainEv[k], dashEv[k] = token, dash
				plain, got := finding.New(c.code, plainEv).Fix, finding.New(c.code, dashEv).Fix
				pl, gl := strings.Split(plain, "\n"), strings.Split(got, "\n")
				if len(pl) != len(gl) {
					t.Errorf("%s, %s=%q: %d lines, want %d:\n%s", c.name, k, dash, len(gl), len(pl), got)
					continue
				}
				for i := range pl {
					if !strings.HasPrefix(pl[i], "  ") {
						continue
					}
					if !strings.HasPrefix(gl[i], "  ") {
						if !strings.HasPrefix(gl[i], "(A command is not printed here: ") || !strings.Contains(gl[i], "starts with -") {
							t.Errorf("%s, %s=%q: line %d is neither the command nor a refusal saying why: %q", c.name, k, dash, i+1, gl[i])
						}
						continue
					}
					pc, err := shelltest.Parse(pl[i])
					if err != nil {
						t.Errorf("%s: line %d %q: %v", c.name, i+1, pl[i], err)
						continue
					}
					gc, err := shelltest.Parse(gl[i])
					if err != nil {
						t.Errorf("%s, %s=%q: line %d %q: %v", c.name, k, dash, i+1, gl[i], err)
						continue
					}
					if want := replaceWords(pc, token, dash); fmt.Sprint(gc) != fmt.Sprint(want) {
						t.Errorf("%s, %s=%q: line %d %q\nruns  %q\nwant  %q", c.name, k, dash, i+1, gl[i], gc, want)
						continue
					}
					for _, cmd := range gc {
						for _, w := range cmd.Argv {
							if startsWord(w, dash) {
								t.Errorf("%s, %s=%q: line %d %q: the value is a word of its own, read as an option", c.name, k, dash, i+1, gl[i])
							}
						}
					}
				}
			}
		}
	}
}

// startsWord reports whether v begins w, or begins a word of a command
// substitution shelltest rendered inside w.
func startsWord(w, v string) bool {
	if strings.HasPrefix(w, v) {
		return true
	}
	_, sub, ok := strings.Cut(w, "$(")
	return ok && slices.ContainsFunc(strings.Fields(sub), func(f string) bool { return strings.HasPrefix(f, v) })
}
