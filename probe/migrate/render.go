package migrate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// Exit codes of --migrate: the fleet view's.
const (
	ExitReady   = verdict.ExitOK     // every service account on IRSA can move as planned
	ExitBlocked = verdict.ExitBroken // at least one is blocked
	ExitError   = verdict.ExitError  // something could not be read
)

// Report is what --migrate prints.
type Report struct {
	Scope            string             `json:"scope"`
	Cluster          string             `json:"cluster,omitempty"`
	ClusterAccount   string             `json:"clusterAccount,omitempty"`
	AssociationsRead bool               `json:"associationsRead"`
	NodesListed      bool               `json:"nodesListed"`
	AgentListed      bool               `json:"agentListed"`
	Plans            []*Plan            `json:"serviceAccounts"`
	Unreadable       []fleet.Unreadable `json:"unreadable"`
	Exit             int                `json:"exitCode"`
}

// NewReport plans every service account on IRSA and settles the exit code.
func NewReport(in *Input) *Report {
	l := in.Inventory.Listing
	r := &Report{Scope: "all namespaces", Cluster: l.Cluster, ClusterAccount: in.ClusterAccount, AssociationsRead: l.AssociationsRead,
		NodesListed: in.NodesListed, AgentListed: in.AgentListed, Plans: Plans(in), Unreadable: l.Unreadable}
	if l.Namespace != "" {
		r.Scope = "namespace " + l.Namespace
	}
	if r.Unreadable == nil {
		r.Unreadable = []fleet.Unreadable{}
	}
	if len(r.Unreadable) > 0 {
		r.Exit = ExitError
	}
	for _, p := range r.Plans {
		if p.Verdict == VerdictBlocked {
			r.Exit = ExitBlocked
		}
	}
	return r
}

// JSON writes the report on one line.
func (r *Report) JSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// Text writes the table, then each service account's findings and plan.
func (r *Report) Text(w io.Writer) error {
	ready := 0
	for _, p := range r.Plans {
		if p.Verdict == VerdictReady {
			ready++
		}
	}
	head := fmt.Sprintf("%s: %d service accounts on IRSA, %d ready to move to EKS Pod Identity, %d blocked", r.Scope, len(r.Plans), ready, len(r.Plans)-ready)
	if !r.AssociationsRead {
		head += "; associations not read (pass --cluster NAME)"
	}
	if r.ClusterAccount == "" {
		head += "; the cluster's account is unknown, so roles of other accounts were not told apart"
	}
	fmt.Fprintln(w, head)
	for _, u := range r.Unreadable {
		fmt.Fprintf(w, "UNREADABLE %s: %s\n  fix: %s\n", u.Resource, u.Message, u.Fix)
	}
	if len(r.Plans) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tSERVICE ACCOUNT\tROLE\tPODS\tVERDICT\tFINDINGS")
	for _, p := range r.Plans {
		var codes []string
		for _, f := range p.Findings {
			if f.Severity != Info {
				codes = append(codes, f.Code)
			}
		}
		if len(codes) == 0 {
			codes = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", finding.Escape(p.Namespace), finding.Escape(p.ServiceAccount), p.RoleARN, p.Pods, p.Verdict, strings.Join(codes, ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range r.Plans {
		fmt.Fprintf(w, "\n== %s: %s\n", finding.Escape(p.Key()), strings.ToUpper(p.Verdict))
		for _, f := range p.Findings {
			fmt.Fprintf(w, "%s %s: %s\n", strings.ToUpper(string(f.Severity)), f.Code, f.Message)
			if f.Fix != "" {
				fmt.Fprintf(w, "  fix: %s\n", f.Fix)
			}
			writeCommands(w, "    ", f.Commands)
		}
		if len(p.Steps) == 0 {
			fmt.Fprintln(w, "No plan: this service account stays on IRSA.")
		}
		for i, s := range p.Steps {
			fmt.Fprintf(w, "%d. %s (%s)\n", i+1, s.Title, s.Step)
			for _, l := range s.Prose {
				fmt.Fprintf(w, "   %s\n", l)
			}
			writeCommands(w, "     ", s.Commands)
		}
	}
	return nil
}

// writeCommands prints each command on a line of its own, indented, so a
// person copies the lines; one that cannot be printed says why instead.
func writeCommands(w io.Writer, indent string, cs []PlanCommand) {
	for _, c := range cs {
		if c.Error != "" {
			fmt.Fprintf(w, "%s(not printed: %s)\n", indent, finding.Escape(c.Error))
			continue
		}
		fmt.Fprintf(w, "%s%s\n", indent, c.Line)
	}
}
