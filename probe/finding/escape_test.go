package finding

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"arn:aws:iam::111122223333:role/billing-api", "arn:aws:iam::111122223333:role/billing-api"},
		{"arn\nERROR fake-finding: forged", `arn\nERROR fake-finding: forged`},
		{"a\rb\tc\x1b[31md", `a\rb\tc\x1b[31md`},
		{"name\u202egnp.exe", `name\u202egnp.exe`},
		{"line\u2028sep", `line\u2028sep`},
		{"ünïcode ok", "ünïcode ok"},
		{"bad \xff byte", `bad \ufffd byte`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFindingEscapesEvidence: a newline in a value cannot add a line to
// the message or the fix.
func TestFindingEscapesEvidence(t *testing.T) {
	f := New(CodeRoleARNMalformed, Evidence{EvARNValue: "x\nERROR fake-finding: forged", EvNamespace: "ns\nrm -rf /"})
	for _, text := range []string{f.Message, f.Fix} {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "ERROR") || strings.HasPrefix(strings.TrimSpace(line), "rm -rf") {
				t.Errorf("a value forged the line %q in:\n%s", line, text)
			}
		}
	}
}
