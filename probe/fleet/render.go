package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf16"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// Row states, worst last.
const (
	StateOK         = "ok"
	StateWarning    = "warning"
	StateUndecided  = "undecided"
	StateError      = "error"
	StateBroken     = "broken"
	StateUnreadable = "unreadable"
)

// Report is everything the fleet view prints.
type Report struct {
	Scope            string         `json:"scope"` // "all namespaces" or the namespace
	Cluster          string         `json:"cluster,omitempty"`
	AssociationsRead bool           `json:"associationsRead"`
	Issuer           string         `json:"issuer,omitempty"`
	Inventory        *Inventory     `json:"inventory"`
	Unreadable       []Unreadable   `json:"unreadable"`
	Impact           []ImpactResult `json:"impact,omitempty"`
	Exit             int            `json:"exitCode"`
}

// NewReport settles the exit code of an inventory (proven or not) and
// impact results.
func NewReport(inv *Inventory, impact []ImpactResult, issuer string) *Report {
	l := inv.Listing
	r := &Report{Scope: "all namespaces", Cluster: l.Cluster, AssociationsRead: l.AssociationsRead, Issuer: issuer,
		Inventory: inv, Unreadable: l.Unreadable, Impact: impact}
	if l.Namespace != "" {
		r.Scope = "namespace " + l.Namespace
	}
	if r.Unreadable == nil {
		r.Unreadable = []Unreadable{}
	}
	worst := StateOK
	for _, id := range inv.Identities {
		worst = worse(worst, State(id))
	}
	if len(r.Unreadable) > 0 {
		worst = worse(worst, StateError)
	}
	for _, i := range impact {
		if i.Verdict == ImpactLoses {
			worst = StateBroken
		} else if i.Verdict == ImpactUnknown {
			worst = worse(worst, StateError)
		}
	}
	switch worst {
	case StateBroken:
		r.Exit = verdict.ExitBroken
	case StateError:
		r.Exit = verdict.ExitError
	case StateUndecided:
		r.Exit = verdict.ExitUndecided
	}
	return r
}

var stateRank = map[string]int{StateOK: 0, StateWarning: 1, StateUndecided: 2, StateError: 3, StateBroken: 4}

func worse(a, b string) string {
	if stateRank[b] > stateRank[a] {
		return b
	}
	return a
}

// State is an identity's row state: the worst of its findings and its
// canary.
func State(id *Identity) string {
	s := StateOK
	for _, f := range id.Findings {
		switch f.Severity {
		case finding.SeverityError:
			s = worse(s, StateBroken)
		case finding.SeverityWarning:
			s = worse(s, StateWarning)
		}
	}
	if c := id.Canary; c != nil {
		switch c.Verdict {
		case CanaryBroken:
			s = worse(s, StateBroken)
		case CanaryUndecided:
			s = worse(s, StateUndecided)
		case CanaryError:
			s = worse(s, StateError)
		case CanaryOK:
			if c.Code != "" {
				s = worse(s, StateWarning)
			}
		}
	}
	return s
}

// codes are the identity's finding codes, the canary's first.
func codes(id *Identity) []string {
	var cs []string
	if c := id.Canary; c != nil && c.Code != "" {
		cs = append(cs, c.Code)
	}
	for _, sev := range []finding.Severity{finding.SeverityError, finding.SeverityWarning} {
		for _, f := range id.Findings {
			if f.Severity == sev {
				cs = append(cs, f.Code)
			}
		}
	}
	return cs
}

// JSON is the report on one line. encoding/json escapes C0 controls and
// the line separators; the other runes a terminal acts on or hides (DEL,
// C1, bidi overrides and isolates, format characters) are escaped here
// too, as \uXXXX: the document decodes to the same strings, and printing
// it shows no such rune.
func (r *Report) JSON() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // plain data
	}
	return append(escapeJSON(b), '\n')
}

func escapeJSON(b []byte) []byte {
	if shellcmd.Check(string(b)) == nil {
		return b
	}
	var out bytes.Buffer
	for _, r := range string(b) { // valid UTF-8: encoding/json wrote it
		if shellcmd.Check(string(r)) == nil {
			out.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&out, `\u%04x`, u)
		}
	}
	return out.Bytes()
}

// WriteTable prints the summary line, the table, each finding with its
// fix, and the trust-policy impact.
func (r *Report) WriteTable(w io.Writer) {
	inv := r.Inventory
	assoc := "not read (pass --cluster NAME; the workstation's AWS credentials read them)"
	if r.AssociationsRead {
		assoc = "read from cluster " + finding.Escape(r.Cluster)
	} else if r.Cluster != "" {
		assoc = "not read (see below)"
	}
	fmt.Fprintf(w, "%s: %s, %s, %s listed; %d with an AWS identity; EKS Pod Identity associations %s\n\n",
		r.Scope, plural(inv.Namespaces, "namespace"), plural(inv.ServiceAccounts, "service account"), plural(inv.Pods, "pod"), len(inv.Identities), assoc)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tSERVICE ACCOUNT\tMECHANISM\tROLE\tPODS\tSTATE\tFINDING")
	for _, u := range r.Unreadable {
		what := "forbidden"
		if !u.Forbidden {
			what = "failed"
		}
		fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\t%s: list %s\n", orDefault(finding.Escape(u.Namespace), "*"), StateUnreadable, what, finding.Escape(u.Resource))
	}
	for _, id := range inv.Identities {
		role := id.Role()
		if role == "" && id.Mechanism == MechanismNone {
			role = "(none)"
		}
		sa := finding.Escape(id.ServiceAccount)
		if !id.Exists && serviceAccountsListed(inv.Listing) {
			sa += " (missing)"
		}
		cs := codes(id)
		f := "-"
		if len(cs) > 0 {
			f = cs[0]
			if len(cs) > 1 {
				f += fmt.Sprintf(" (+%d)", len(cs)-1)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", finding.Escape(id.Namespace), sa, id.Mechanism, finding.Escape(role), len(id.Pods), State(id), f)
	}
	_ = tw.Flush()
	for _, u := range r.Unreadable {
		fmt.Fprintf(w, "\nUNREADABLE %s%s: %s\n", u.Resource, inNamespace(finding.Escape(u.Namespace)), u.Message)
		writeFix(w, u.Fix)
	}
	for _, id := range inv.Identities {
		if c := id.Canary; c != nil && c.Code != "" {
			word := map[string]string{CanaryOK: "WARNING", CanaryBroken: "FAIL", CanaryUndecided: "UNDECIDED", CanaryError: "ERROR"}[c.Verdict]
			fmt.Fprintf(w, "\n%s %s %s (canary Job %s): %s\n", word, c.Code, finding.Escape(id.Key()), c.Job, c.Message)
			writeFix(w, c.Fix)
		}
		for _, f := range id.Findings {
			fmt.Fprintf(w, "\n%s %s %s: %s\n", f.Severity.Word(), f.Code, finding.Escape(id.Key()), f.Message)
			for _, n := range f.Notes {
				fmt.Fprintf(w, "  note: %s\n", n)
			}
			writeFix(w, strings.Join(f.Fix, "\n"))
		}
	}
	if len(r.Impact) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TRUST POLICY\tNAMESPACE\tSERVICE ACCOUNT\tMECHANISM\tPODS\tACCESS\tWHY")
		for _, i := range r.Impact {
			ns, sa, pods := orDefault(finding.Escape(i.Namespace), "-"), orDefault(finding.Escape(i.ServiceAccount), "-"), strconv.Itoa(i.Pods)
			if i.ServiceAccount == "" {
				pods = "-"
			}
			fmt.Fprintf(tw, "%s=%s\t%s\t%s\t%s\t%s\t%s\t%s\n", finding.Escape(i.Role), finding.Escape(i.File), ns, sa, orDefault(i.Mechanism, "-"), pods, i.Verdict, orDefault(i.Why, "-"))
		}
		_ = tw.Flush()
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func inNamespace(ns string) string {
	if ns == "" {
		return ""
	}
	return " in namespace " + ns
}

// writeFix prints a fix indented under "fix:", one line each. Its
// commands were rendered by package shellcmd and its prose escaped: no
// line holds a control character, and no command a comment.
func writeFix(w io.Writer, fix string) {
	if fix == "" {
		return
	}
	fmt.Fprintln(w, "  fix:")
	for _, line := range strings.Split(fix, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}
