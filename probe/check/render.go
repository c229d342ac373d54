package check

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// MaxTerminationMessage is kubelet's limit for /dev/termination-log.
const MaxTerminationMessage = 4096

// WriteText renders the report for kubectl logs.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "irsa-probe: %s —", r.verdict.Word())
	if r.Identity != nil {
		fmt.Fprintf(&b, " identity %s,", finding.Escape(r.Identity.ARN))
	}
	fmt.Fprintf(&b, " mechanism %s (%d ms)\n", cmp.Or(r.Mechanism, iam.MechanismNone), r.DurationMS)
	for _, c := range r.Checks {
		// "[unknown]" is the widest status: every name starts in one column.
		fmt.Fprintf(&b, "  %-9s %-15s %s\n", "["+string(c.Status)+"]", c.Name, c.Detail)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n%s %s: %s\n", f.Severity.Word(), f.Code, f.Message)
		if len(f.Evidence) > 0 {
			b.WriteString("  evidence:\n")
			for _, k := range f.Evidence.Keys() {
				fmt.Fprintf(&b, "    %-24s %s\n", k+":", f.Evidence[k])
			}
		}
		b.WriteString("  fix:\n")
		for _, line := range strings.Split(f.Fix, "\n") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON renders the report as one JSON object on one line: log
// collectors make a record of each line.
func (r *Report) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(r)
}

// Summary is the short text for the termination log and /healthz: the
// verdict, then the first problem's code, message and fix.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "irsa-probe: %s", r.verdict.Word())
	if r.Identity != nil {
		fmt.Fprintf(&b, " identity=%s", finding.Escape(r.Identity.ARN))
	}
	fmt.Fprintf(&b, " mechanism=%s\n", cmp.Or(r.Mechanism, iam.MechanismNone))
	if f := r.FirstProblem(); f != nil {
		fmt.Fprintf(&b, "%s: %s\nfix: %s\n", f.Code, f.Message, f.Fix)
		if n := len(r.Findings) - 1; n > 0 {
			fmt.Fprintf(&b, "(%d more finding(s): see kubectl logs)\n", n)
		}
	}
	return truncate(b.String(), MaxTerminationMessage)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…\n"
	s = s[:n-len(ellipsis)]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + ellipsis
}

// WriteTerminationLog writes Summary to path if its directory exists: in a
// pod kubelet mounts /dev/termination-log; elsewhere there is nothing to do.
func (r *Report) WriteTerminationLog(path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil
	}
	// Never blocks: a FIFO or device at path is refused, not written.
	if err := safefile.Write(path, []byte(r.Summary())); err != nil {
		return fmt.Errorf("termination log: %w", err)
	}
	return nil
}
