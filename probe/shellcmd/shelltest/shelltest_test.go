package shelltest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestParse: the parser takes what the renderer prints and refuses what
// a shell would expand or run besides.
func TestParse(t *testing.T) {
	good := map[string][]string{
		`kubectl get pod 'a b' --namespace=x`:   {"kubectl", "get", "pod", "a b", "--namespace=x"},
		`kubectl get 'it'\''s' ''`:              {"kubectl", "get", "it's", ""},
		`a -o "jsonpath={.x}" 'x#y' b=c`:        {"a", "-o", "jsonpath={.x}", "x#y", "b=c"},
		`a "$(aws iam get-role --role-name x)"`: {"a", "$(aws iam get-role --role-name x)"},
	}
	for line, want := range good {
		cmds, err := Parse(line)
		if err != nil || len(cmds) != 1 || !slices.Equal(cmds[0].Argv, want) {
			t.Errorf("%s: %+v, %v; want %q", line, cmds, err, want)
		}
	}
	for _, line := range []string{
		"kubectl delete pod web-1  # a bare pod", "a; touch x", "a && b", "a &", "a\nb", "a $HOME", "a `id`", "a $(id)",
		"a *", "a {b,c}", "a !!", `a "!!"`, "a =ls", "a ~root", "X=1 a", "a 2>x", "a $'x'", "! a", "(a)",
	} {
		if cmds, err := Parse(line); err == nil {
			t.Errorf("%q parsed as %+v", line, cmds)
		}
	}
}

// TestPaste: the stubs record exactly their argv, empty words included,
// and a command outside the stubs really runs (so a test can see it).
func TestPaste(t *testing.T) {
	for _, sh := range Shells {
		t.Run(sh[0], func(t *testing.T) {
			calls, stderr, dir := Paste(t, sh, "kubectl get '' 'a b'\ntouch marker\nkubectl x\n", "kubectl")
			want := [][]string{{"kubectl", "get", "", "a b"}, {"kubectl", "x"}}
			if !slices.EqualFunc(calls, want, slices.Equal) {
				t.Errorf("calls %q, want %q (stderr %q)", calls, want, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "marker")); err != nil {
				t.Errorf("touch did not run: %v", err)
			}
		})
	}
}
