package policy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

// Report is an explanation with what it needs to be printed: the
// document, the request and the role the fix applies to.
type Report struct {
	Explanation *Explanation
	Doc         *Document // nil when the input did not parse
	Request     Request
	// RoleName names the role in the update command ("ROLE_NAME" if
	// unknown). Source says where the request's values came from.
	RoleName, Source string
	// Input is the text a malformed position is in, to show the line.
	Input string
}

// Command is the command that applies the fixed policy.
// A role name that cannot be printed (package shellcmd refuses it) is
// replaced by ROLE_NAME: a placeholder to fill in, never a raw value.
func (r *Report) Command() string {
	c, err := shellcmd.Line("aws", "iam", "update-assume-role-policy", "--role-name", r.RoleName, "--policy-document", "file://trust-policy.json")
	if err != nil {
		c, _ = shellcmd.Line("aws", "iam", "update-assume-role-policy", "--role-name", "ROLE_NAME", "--policy-document", "file://trust-policy.json")
	}
	return c
}

// identity describes the request in one line.
func (r *Report) identity() string {
	q := r.Request
	if q.PodIdentity {
		return fmt.Sprintf("Service %s, actions %s and %s, %s", PodIdentityService, ActionAssumeRole, ActionTagSession, printable(q.Subject))
	}
	return fmt.Sprintf("Federated %s, action %s, sub %s, aud %s", printable(q.ProviderARN()), ActionWebIdentity, strconv.Quote(q.Subject), strconv.Quote(q.Audience))
}

// Text is the report for a terminal.
func (r *Report) Text() string {
	e := r.Explanation
	var b strings.Builder
	if r.Doc == nil {
		m := e.Reasons[0]
		fmt.Fprintf(&b, "trust policy: MALFORMED at line %d, column %d: %s\n", m.Line, m.Column, printable(m.Message))
		if line, ok := nthLine(r.Input, m.Line); ok && m.Column > 0 && m.Column <= len(line)+1 {
			fmt.Fprintf(&b, "  %s\n  %s^\n", printable(line), strings.Repeat(" ", min(m.Column-1, len(line))))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "trust policy: %s %s\n", strings.ToUpper(string(e.Verdict)), printable(r.Request.Subject))
	fmt.Fprintf(&b, "  request: %s\n", r.identity())
	if r.Source != "" {
		fmt.Fprintf(&b, "  values from: %s\n", printable(r.Source))
	}
	if r.Doc.Form != FormPolicy {
		fmt.Fprintf(&b, "  input: %s\n", r.Doc.Form)
	}
	for _, s := range e.Statements {
		applies := "does not apply"
		if s.Applies {
			applies = "applies"
		}
		name := fmt.Sprintf("statement %d", s.Index)
		if s.Sid != "" {
			name += fmt.Sprintf(" (Sid %s)", strconv.Quote(s.Sid))
		}
		fmt.Fprintf(&b, "\n%s, %s: %s\n", name, s.Effect, applies)
		for _, l := range s.Lines {
			mark := "[ok]  "
			switch {
			case l.Assumed:
				mark = "[?]   "
			case !l.Matched:
				mark = "[FAIL]"
			}
			fmt.Fprintf(&b, "  %s line %-3d %s %s\n", mark, l.Line, l.Element, printable(l.Text))
			if l.Assumed {
				b.WriteString("         not checked: irsa-probe cannot know this value; taken to match\n")
			}
			if l.Reason != nil {
				fmt.Fprintf(&b, "         %s: %s\n", reasonLabel(*l.Reason), printable(l.Reason.Message))
			}
		}
	}
	if e.Verdict == Denies {
		b.WriteString("\nwhy it denies:\n")
		for _, rs := range e.Reasons {
			fmt.Fprintf(&b, "  %s%s: %s\n", reasonLabel(rs), where(rs), printable(rs.Message))
		}
	}
	for _, w := range e.Warnings {
		fmt.Fprintf(&b, "\nwarning: %s%s: %s\n", w.Code, where(w), printable(w.Message))
	}
	if ed := e.Edit; ed != nil {
		kept := "every other statement is kept byte for byte"
		if len(ed.Changed) == 0 {
			kept = "every statement is kept byte for byte"
		}
		changed := "no statement changed"
		if len(ed.Changed) > 0 {
			changed = "changes statement " + joinInts(ed.Changed)
		}
		if ed.Added {
			changed += ", adds one"
		}
		fmt.Fprintf(&b, "\nminimal edit (%s; %s):\n%s", changed, kept, ed.Diff)
		fmt.Fprintf(&b, "\nthe fixed policy, and the command that applies it:\n  cat > trust-policy.json <<'JSON'\n%s\nJSON\n  %s\n", strings.TrimRight(ed.Policy, "\n"), r.Command())
	} else if e.Verdict == Denies {
		b.WriteString("\nno minimal edit: print the policy this pod needs with 'irsa-probe trust-policy'\n")
	}
	return b.String()
}

func reasonLabel(r Reason) string {
	if r.Detail != "" {
		return r.Code + " (" + r.Detail + ")"
	}
	return r.Code
}

func where(r Reason) string {
	switch {
	case r.Statement >= 0 && r.Line > 0:
		return fmt.Sprintf(" [statement %d, line %d, column %d]", r.Statement, r.Line, r.Column)
	case r.Line > 0:
		return fmt.Sprintf(" [line %d, column %d]", r.Line, r.Column)
	}
	return ""
}

// jsonReport is --output json: the same content, with stable codes.
type jsonReport struct {
	Verdict    Verdict           `json:"verdict"`
	Request    map[string]any    `json:"request"`
	Input      string            `json:"input,omitempty"`
	Reasons    []Reason          `json:"reasons"`
	Warnings   []Reason          `json:"warnings"`
	Statements []StatementResult `json:"statements"`
	Edit       *jsonEdit         `json:"edit,omitempty"`
}

type jsonEdit struct {
	*Edit
	Command string `json:"command"`
}

// JSON is the report as one JSON document.
func (r *Report) JSON() []byte {
	e := r.Explanation
	q := r.Request
	out := jsonReport{
		Verdict: e.Verdict, Reasons: e.Reasons, Warnings: e.Warnings, Statements: e.Statements,
		Request: map[string]any{"pod_identity": q.PodIdentity, "sub": q.Subject, "actions": q.Actions(), "source": r.Source},
	}
	if q.PodIdentity {
		out.Request["principal"] = "Service " + PodIdentityService
	} else {
		out.Request["principal"] = "Federated " + q.ProviderARN()
		out.Request["aud"] = q.Audience
		out.Request["issuer"] = q.Issuer
	}
	if r.Doc != nil {
		out.Input = string(r.Doc.Form)
	}
	if e.Edit != nil {
		out.Edit = &jsonEdit{Edit: e.Edit, Command: r.Command()}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic("policy: marshal report: " + err.Error()) // plain data: cannot fail
	}
	return append(b, '\n')
}

// printable escapes what could forge a line or a terminal escape in a
// value from outside.
func printable(s string) string { return finding.Escape(s) }

func nthLine(s string, n int) (string, bool) {
	lines := strings.Split(s, "\n")
	if n < 1 || n > len(lines) {
		return "", false
	}
	return lines[n-1], true
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
