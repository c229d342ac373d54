package migrate

import (
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd/shelltest"
)

// hostileWorld is a plan whose words hold everything a shell reads: a
// trust policy with quotes, $, backquotes and ! in a Sid, and a canary
// spec file named like a command substitution.
func hostileWorld() *world {
	w := newWorld()
	pol := strings.Replace(irsaOnlyPolicy, `"Effect": "Allow",`, `"Sid": "it's $(id) `+"`id`"+` !! ${HOME} ~ *",
      "Effect": "Allow",`, 1)
	w.in.Policies = []fleet.PolicyChange{{Role: "billing-api", File: "it's.json", Doc: mustPolicy(pol)}}
	w.in.ProveFlags = []string{"--canary-pod-spec=it's $(id) #x.json"}
	w.listing.Kubectl = []string{"--context=arn:aws:eks:us-west-2:111122223333:cluster/prod", "--kubeconfig=/home/me/my kube/config"}
	return w
}

// allCommands is every command a plan prints, steps and findings, in
// order.
func allCommands(ps []*Plan) []PlanCommand {
	var out []PlanCommand
	for _, p := range ps {
		for _, f := range p.Findings {
			out = append(out, f.Commands...)
		}
		for _, s := range p.Steps {
			out = append(out, s.Commands...)
		}
	}
	return out
}

// TestCommandsParseAsArgv parses every printed line with a real shell
// parser (shelltest.Parse: mvdan.cc/sh) and checks it is exactly the
// intended argv: one statement, no comment, simple commands joined by
// pipes, nothing a shell expands.
func TestCommandsParseAsArgv(t *testing.T) {
	cs := allCommands(hostileWorld().plans())
	if len(cs) < 8 {
		t.Fatalf("only %d commands", len(cs))
	}
	for _, c := range cs {
		if c.Error != "" {
			t.Fatalf("not printed: %s", c.Error)
		}
		parsed, err := shelltest.Parse(c.Line)
		if err != nil {
			t.Errorf("%q: %v", c.Line, err)
			continue
		}
		var got Command
		for _, p := range parsed {
			if len(p.Redirects) != 0 {
				t.Errorf("%q redirects %v", c.Line, p.Redirects)
			}
			got = append(got, p.Argv)
		}
		if !equalCommands([]Command{got}, []Command{c.Argv}) {
			t.Errorf("%q parses as\n %q, want\n %q", c.Line, got, c.Argv)
		}
	}
}

// TestPlanPastes pastes the whole plan, every command of every step and
// finding, into bash, dash and interactive zsh against stub aws, kubectl
// and irsa-probe that record their argv (shelltest.Paste), and compares
// the calls with the plan's argvs. The stubs print nothing, so the
// rollback's xargs runs no delete (-r); TestPlanAgainstAWSCLI runs that one.
func TestPlanPastes(t *testing.T) {
	cs := allCommands(hostileWorld().plans())
	var script strings.Builder
	var want []string
	for _, c := range cs {
		script.WriteString(c.Line + "\n")
		for _, argv := range c.Argv {
			if argv[0] != "xargs" {
				want = append(want, strings.Join(argv, "\x00"))
			}
		}
	}
	slices.Sort(want)
	for _, sh := range shelltest.Shells {
		t.Run(sh[0], func(t *testing.T) {
			calls, stderr, _ := shelltest.Paste(t, sh, script.String(), "aws", "kubectl", "irsa-probe")
			var got []string
			for _, c := range calls {
				got = append(got, strings.Join(c, "\x00"))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%v recorded\n%q\nwant\n%q\nstderr %s", sh, got, want, stderr)
			}
		})
	}
}
