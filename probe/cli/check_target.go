package cli

import (
	"errors"
	"flag"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/target"
)

// targetFlagDoc documents check's --target.
var targetFlagDoc = flagDoc{name: "target", kind: "string",
	desc: "check as process PID of this PID namespace sees it (its environment, token and SDK), or auto for the container's main process (kubectl debug --target, shareProcessNamespace)"}

func bindTarget(spec *string) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) { fs.StringVar(spec, "target", "", "") }
}

// loadTarget reads the target process and makes this process's
// environment its own (target.Adopt) before the configuration is read
// again, so package config and the SDK's default chain both see the
// application's AWS_* and proxy variables; the IRSA_PROBE_ settings and
// flags stay the probe's. A process that is not there is a usage error; one
// the probe may not read is a finding (check.Target.Err), with the probe's
// own AWS variables removed so nothing of its identity is checked in the
// application's name.
func (c *CLI) loadTarget(spec string, args []string) (*config.Config, *check.Target, error) {
	p, err := target.Find(spec)
	var te *target.Error
	if errors.As(err, &te) && te.Kind == target.KindUsage {
		return nil, nil, usageErrorf(commandHint(CmdCheck), "%v", err)
	}
	t := &check.Target{Process: p, Err: err}
	if err != nil {
		t.Process = nil
		err = target.Clear()
	} else {
		t.Notes, err = p.Adopt()
	}
	if err != nil {
		return nil, nil, err
	}
	cfg, err := c.loadConfig(CmdCheck, args, bindTarget(new(string)))
	if err != nil {
		return nil, nil, err
	}
	return cfg, t, nil
}
