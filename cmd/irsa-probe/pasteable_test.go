package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/shellcmd/shelltest"
)

// TestTranscriptsPasteable reads every golden transcript (TestTranscripts
// holds the binary to them) as a person pasting from the terminal would:
// no line is a # comment or carries a trailing one (interactive zsh,
// macOS's default shell, reads # as a word), and every command line the
// probe prints two spaces in, on stderr (how to apply a trust policy) or
// in a help's example, is a simple command or pipeline a real shell
// parser reads; each simple one pasted into bash, dash and interactive
// zsh runs as exactly those words.
func TestTranscriptsPasteable(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	var pasted []string
	var want []string // each call's argv, words joined by " | "
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		section, example := "", false
		for i, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") {
				section, example = l, false
				continue
			}
			if l == "Example:" || l == "" {
				example = l != ""
				continue
			}
			if section == "" || strings.HasPrefix(strings.TrimSpace(l), "{") || strings.HasPrefix(strings.TrimSpace(l), `"`) {
				continue // the command run, or JSON
			}
			where := fmt.Sprintf("%s line %d", filepath.Base(file), i+1)
			if strings.HasPrefix(strings.TrimSpace(l), "#") {
				t.Errorf("%s: a # line, read as a command by interactive zsh: %q", where, l)
			}
			if strings.Contains(l, " # ") && !strings.HasPrefix(strings.TrimSpace(l), "#") {
				t.Errorf("%s: a trailing # comment: %q", where, l)
			}
			if (section == "-- stderr --" || example) && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") {
				cmds, err := shelltest.Parse(l)
				if err != nil {
					t.Errorf("%s: %q: %v", where, l, err)
					continue
				}
				// A pipeline is parsed only: its commands' stubs would
				// record their argv at once, interleaved.
				if len(cmds) == 1 {
					pasted = append(pasted, l)
					want = append(want, strings.Join(cmds[0].Argv, " | "))
				}
			}
		}
	}
	if len(pasted) == 0 {
		t.Fatal("no command printed on stderr in any transcript: the trust-policy ones print how to apply the policy")
	}
	for _, sh := range shelltest.Shells {
		t.Run(sh[0], func(t *testing.T) {
			shelltest.NeedShell(t, sh[0])
			calls, stderr, _ := shelltest.Paste(t, sh, strings.Join(pasted, "\n")+"\n", "aws", "kubectl", "irsa-probe", "curl")
			var got []string
			for _, c := range calls {
				got = append(got, strings.Join(c, " | "))
			}
			if !slices.Equal(got, want) {
				t.Errorf("pasted:\n%s\nran  %q\nwant %q\nstderr %q", strings.Join(pasted, "\n"), got, want, stderr)
			}
		})
	}
}
