package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd/shelltest"
)

// TestPrintCommand: how to apply a trust policy is a prose line, then the
// command two spaces in, which a shell parser reads as exactly its argv;
// never a # line. A name starting with - (an option to aws) or holding a
// control character leaves a prose line saying why instead.
func TestPrintCommand(t *testing.T) {
	for _, tc := range []struct {
		ns, sa, role string
		refused      string
	}{
		{"payments", "billing-api", "arn:aws:iam::111122223333:role/billing-api", ""},
		{"pay ments", "it's", "arn:aws:iam::111122223333:role/a", ""},
		{"--profile=evil", "billing-api", "", "starts with -"},
		{"payments", "-x", "", "starts with -"},
		{"payments", "web\x1b[2K", "", "U+001B"},
	} {
		var b bytes.Buffer
		c := &CLI{Stderr: &b}
		argv := iam.AssociationArgv("", tc.ns, tc.sa, tc.role)
		c.printCommand("associate the service account:", argv, tc.ns, tc.sa, tc.role)
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != 2 || lines[0] != "irsa-probe: hint: associate the service account:" {
			t.Errorf("%+v: printed %q", tc, b.String())
			continue
		}
		if tc.refused != "" {
			if !strings.HasPrefix(lines[1], "irsa-probe: hint: (the command is not printed: ") || !strings.Contains(lines[1], tc.refused) || strings.Contains(lines[1], "\x1b") {
				t.Errorf("%+v: want a refusal naming %q, got %q", tc, tc.refused, lines[1])
			}
			continue
		}
		cmds, err := shelltest.Parse(lines[1])
		if err != nil || !strings.HasPrefix(lines[1], "  aws ") {
			t.Errorf("%+v: %q: %v", tc, lines[1], err)
			continue
		}
		if fmt.Sprintf("%q", cmds[0].Argv) != fmt.Sprintf("%q", argv) || len(cmds) != 1 {
			t.Errorf("%+v: %q reads as %q, want %q", tc, lines[1], cmds, argv)
		}
	}
}
