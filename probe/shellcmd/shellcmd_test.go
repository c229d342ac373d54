package shellcmd

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestWord(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"web-1", "web-1"},
		{"--namespace=prod", "--namespace=prod"},
		{"arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/app"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"=ls", "'=ls'"},
		{"!!", "'!!'"},
		{"*", "'*'"},
		{"#x", "'#x'"},
		{"~root", "'~root'"},
		{"$(id)", "'$(id)'"},
		{"a^b", "'a^b'"},
		{"é", "'é'"},
	} {
		got, err := Word(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Word(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestWordRefuses(t *testing.T) {
	for _, tc := range []struct{ in, what string }{
		{"web\x1b[2K\r", `U+001B (a control character, \x1b)`},
		{"a\nb", `U+000A (a control character, \n)`},
		{"tab\there", `U+0009 (a control character, \t)`},
		{"del\x7f", `U+007F (a control character, \x7f)`},
		{"c1\u0085", `U+0085 (a control character, \u0085)`},
		{"ls\u2028", `U+2028 (a line or paragraph separator, \u2028)`},
		{"abc\u202edef", `U+202E (a bidirectional override, \u202e)`},
		{"iso\u2066", `U+2066 (a bidirectional override, \u2066)`},
		{"zw\u200b", `U+200B (an invisible format character, \u200b)`},
		{"bad\xffutf8", "a byte that is not UTF-8"},
	} {
		_, err := Word(tc.in)
		var ue *UnprintableError
		if !errors.As(err, &ue) {
			t.Errorf("Word(%q): %v, want an *UnprintableError", tc.in, err)
			continue
		}
		if ue.What() != tc.what {
			t.Errorf("Word(%q): names %s, want %s", tc.in, ue.What(), tc.what)
		}
		if Check(err.Error()) != nil {
			t.Errorf("Word(%q): the error itself is unprintable: %q", tc.in, err)
		}
		if _, err := Line("kubectl", "get", tc.in); !errors.As(err, &ue) {
			t.Errorf("Line(…, %q): %v, want an *UnprintableError", tc.in, err)
		}
	}
	// U+FFFD itself is a printable rune, not an invalid byte.
	if _, err := Word("\uFFFD"); err != nil {
		t.Errorf("Word(U+FFFD): %v", err)
	}
}

// shells are the shells a printed command must paste into; zsh as an
// interactive shell without the user's rc files (no INTERACTIVE_COMMENTS,
// history expansion on, EQUALS on).
var shells = [][]string{{"bash"}, {"dash"}, {"zsh", "-f", "-i"}}

// needShell skips a test when a shell is missing, except in CI, which
// installs all three (.ci/run).
func needShell(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed: CI installs bash, dash and zsh (.ci/run)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// TestLineReadsBack feeds printed lines to each shell on stdin, as a
// paste does, and checks that the shell hands the command exactly the
// words it was built from.
func TestLineReadsBack(t *testing.T) {
	var words []string
	for b := 0x20; b < 0x7f; b++ {
		words = append(words, string(rune(b)), "a"+string(rune(b))+"b", string(rune(b))+string(rune(b)))
	}
	words = append(words, "", "'", "''", `'\''`, "!!", "!$", "^x^y", "=true", "a=b", "~", "$HOME", "`id`", "$(id)", "{a,b}",
		"*", "[a]", "#", "x #y", "é", "日本", "\uFFFD", "a\\", `\'`, "%1", "-n", "--kubeconfig=/x", "${x:-y}", "$'a'")
	var script strings.Builder
	for _, w := range words {
		line, err := Line("printf", "[%s]\\n", w)
		if err != nil {
			t.Fatal(err)
		}
		script.WriteString(line + "\n")
	}
	var want strings.Builder
	for _, w := range words {
		want.WriteString("[" + w + "]\n")
	}
	for _, sh := range shells {
		t.Run(sh[0], func(t *testing.T) {
			path := needShell(t, sh[0])
			cmd := exec.Command(path, sh[1:]...)
			cmd.Stdin = strings.NewReader(script.String())
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PS1=", "PS2=", "HISTFILE="}
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %v\n%s", sh, err, errb.String())
			}
			if out.String() != want.String() {
				gl, wl := strings.Split(out.String(), "\n"), strings.Split(want.String(), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("%v read line %d back as %q, want %q (stderr ends %q)", sh, i+1, gl[i], wl[i], tail(errb.String()))
					}
				}
				t.Fatalf("%v printed %d lines, want %d", sh, len(gl), len(wl))
			}
		})
	}
}

// tail is the end of a shell's stderr: an interactive zsh redraws a
// prompt per line.
func tail(s string) string { return s[max(0, len(s)-300):] }

func TestOperand(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		option   bool
	}{
		{"web-1", "web-1", false},
		{"a b", "'a b'", false},
		{"--kubeconfig=/x", "", true},
		{"-n", "", true},
		{"-", "", true},
		{"-a b", "", true},
	} {
		got, err := Operand(tc.in)
		var oe *OptionError
		if errors.As(err, &oe) != tc.option || got != tc.want {
			t.Errorf("Operand(%q) = %q, %v; want %q (refused: %v)", tc.in, got, err, tc.want, tc.option)
		}
	}
	// A control character is refused as Word refuses it, before its dash.
	var ue *UnprintableError
	if _, err := Operand("-\x1b"); !errors.As(err, &ue) {
		t.Errorf("Operand(-ESC): %v, want an *UnprintableError", err)
	}
}
