package cli

import (
	"context"
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

var checkCommand = &command{
	name:    CmdCheck,
	summary: "one check; exit 0 works, 1 broken, 2 usage, 3 undecided (init container, Job)",
	about: `Prove this pod's AWS identity once, as the application's SDK would get it:
the injected environment, the projected token, its signature, STS
AssumeRoleWithWebIdentity and GetCallerIdentity, and the SDK's default
credential chain. Every problem is a finding with the evidence and a fix.

Exit 0: the identity works. 1: it is broken (the report says why and how to
fix it). 2: a usage error. 3: undecided (STS unreachable or throttled until
the deadline; 0 with --on-undecided=pass). The report goes to stdout, a
summary to the termination log; a line per retry to stderr.`,
	example: `As an init container (args: ["check"]), then read its report:
  kubectl logs POD -c irsa-probe
Once, from a workstation, against a copy of the pod's environment:
  irsa-probe check --timeout=10s --output=json`,
	flags: []flagDoc{targetFlagDoc},
	run:   runCheck,
}

func runCheck(c *CLI, ctx context.Context, args []string) int {
	var targetSpec string
	cfg, err := c.loadConfig(CmdCheck, args, bindTarget(&targetSpec))
	if err != nil {
		return c.fail(err)
	}
	var tgt *check.Target
	if targetSpec != "" {
		if cfg, tgt, err = c.loadTarget(targetSpec, args); err != nil {
			return c.fail(err)
		}
	}
	log := newLogger(c.Stderr, cfg.Settings)
	chk := check.New(cfg, log)
	chk.SetProgress(func(line string) { fmt.Fprintln(c.Stderr, "irsa-probe: "+line) })
	if tgt != nil {
		chk.SetTarget(tgt)
	}
	rep := chk.Run(ctx)
	if cfg.Output == "json" {
		err = rep.WriteJSON(c.Stdout)
	} else {
		err = rep.WriteText(c.Stdout)
	}
	if err != nil {
		log.Error("writing the report", "error", err)
	}
	if err := rep.WriteTerminationLog(cfg.TerminationLog); err != nil {
		log.Warn("could not write the termination log", "error", err)
	}
	return undecidedExit(cfg, rep)
}

// undecidedExit is check's exit code: the report's, except that
// IRSA_PROBE_ON_UNDECIDED=pass lets an undecided check pass (exit 0).
func undecidedExit(cfg *config.Config, rep *check.Report) int {
	if rep.Verdict() == verdict.Undecided && cfg.OnUndecided == "pass" {
		return verdict.ExitOK
	}
	return rep.ExitCode()
}
