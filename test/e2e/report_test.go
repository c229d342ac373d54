//go:build e2e

package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// reportLine is a line of check's report: the headline, a check's line, a
// blank line, or a finding (ERROR/WARN with its evidence and fix).
var reportHead = regexp.MustCompile(`^irsa-probe: (OK|FAIL|UNDECIDED) — `)

// assertReportOnly fails unless out is check's report and nothing else
// (no log lines, no stray stderr), with the headline want (OK or FAIL).
func assertReportOnly(t *testing.T, out, want string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !reportHead.MatchString(lines[0]) {
		t.Fatalf("output does not start with the report's headline:\n%s", out)
	}
	if m := reportHead.FindStringSubmatch(lines[0]); m[1] != want {
		t.Fatalf("report says %s, want %s:\n%s", m[1], want, out)
	}
	checkLine := regexp.MustCompile(`^  \[(pass|fail|warn|skip|info)\] +[a-z-]+ `)
	i := 1
	for ; i < len(lines) && lines[i] != ""; i++ {
		if !checkLine.MatchString(lines[i]) {
			t.Fatalf("line %d is not a check's line: %q\n%s", i+1, lines[i], out)
		}
	}
	for ; i < len(lines); i++ {
		l := lines[i]
		if l != "" && !strings.HasPrefix(l, "  ") && !regexp.MustCompile(`^(ERROR|WARN|INFO) [a-z0-9-]+: `).MatchString(l) {
			t.Fatalf("line %d is not part of the report: %q\n%s", i+1, l, out)
		}
	}
	return lines
}
