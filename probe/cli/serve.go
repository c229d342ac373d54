package cli

import (
	"context"
	"net"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/serve"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

var serveCommand = &command{
	name:    CmdServe,
	summary: "keep checking; /healthz /readyz /livez /metrics for probes (sidecar)",
	about: `Run the check of 'irsa-probe check' at start and every --refresh, and answer
Kubernetes probes from its latest result, never with an STS call of their own:
  /healthz, /readyz  200 while the identity works (or transient failures are
                     younger than --grace), else 503 with the diagnosis
  /livez             200 while the check loop runs, whatever IAM says
  /metrics           Prometheus text format
SIGTERM stops it within 3 seconds, exit 0.`,
	example: `As a native sidecar (args: ["serve"], restartPolicy: Always, and
startupProbe/readinessProbe: httpGet /healthz on port 8086), then ask it:
  curl -s 'localhost:8086/healthz?verbose'`,
	run: runServe,
}

func runServe(c *CLI, ctx context.Context, args []string) int {
	cfg, err := c.loadConfig(CmdServe, args, nil)
	if err != nil {
		return c.fail(err)
	}
	log := newLogger(c.Stderr, cfg.Settings)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return c.fail(usageErrorf("give HOST:PORT or :PORT (default "+config.DefaultListen+"); containers of a pod share its ports, so pick one no other container uses",
			"%s", cfg.Invalid("Listen", cfg.Listen, "cannot listen (%v)", err).Error()))
	}
	srv := serve.New(cfg, log, c.Build.Version)
	srv.SetReportOutput(c.Stderr) // a state change prints the report, as check does
	if err := srv.Run(ctx, ln); err != nil {
		return c.fail(err)
	}
	return verdict.ExitOK
}
