package plugin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ephemeral"
	"github.com/irsa-probe/irsa-probe/probe/hint"
	"github.com/irsa-probe/irsa-probe/probe/kube"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// ImageRepo is where the release workflow pushes the probe's image.
const ImageRepo = "ghcr.io/irsa-probe/irsa-probe"

// Plugin is the plugin's behaviour; main only wires it to the process.
type Plugin struct {
	Stdout, Stderr io.Writer
	// Kube runs kubectl (nil: the kubectl on PATH).
	Kube kube.Runner
	// Version is the release this plugin belongs to: its default image is
	// that release's.
	Version string
}

// options are the flags every mode shares.
type options struct {
	namespace, container, image string
	flags                       kube.Flags
	print                       bool
	uid, gid                    int64
	timeout                     time.Duration
}

const usage = `Usage: kubectl irsa-probe POD [flags]

Diagnose a running pod's AWS identity (IRSA or EKS Pod Identity) as its
application sees it: an ephemeral container runs irsa-probe check
--target=auto in the application container's PID namespace, as its user,
and reads its environment, its token and its AWS SDK's version. The report
streams here; the exit code is the probe's: 0 works, 1 broken, 3 undecided
(2 usage, 4 kubectl failed). Ephemeral containers stay in the pod's spec
until the pod is deleted.

Flags:
`

// Main runs the plugin with args and returns the process exit code.
func (p *Plugin) Main(ctx context.Context, args []string) int {
	if p.Kube == nil {
		p.Kube = &kube.Kubectl{}
	}
	fs := flag.NewFlagSet("kubectl irsa-probe", flag.ContinueOnError)
	fs.SetOutput(p.Stderr)
	o := &options{}
	fs.StringVar(&o.namespace, "n", "", "namespace (default: the context's)")
	fs.StringVar(&o.namespace, "namespace", "", "namespace (default: the context's)")
	fs.StringVar(&o.container, "c", "", "the application container (default: the pod's default container, else the one with AWS_ROLE_ARN or AWS_CONTAINER_CREDENTIALS_FULL_URI, else the first)")
	fs.StringVar(&o.container, "container", "", "same as -c")
	fs.StringVar(&o.image, "image", ImageRepo+":"+p.Version, "the probe's image (a private registry's copy, in air-gapped clusters)")
	fs.BoolVar(&o.print, "print", false, "dry run: print the kubectl commands instead of running them")
	fs.Int64Var(&o.uid, "uid", -1, "the user the application runs as, when the pod spec does not say (its image's USER)")
	fs.Int64Var(&o.gid, "gid", -1, "the application's group (default: the pod spec's runAsGroup, else 0, the group a runtime gives a runAsUser its image's /etc/passwd does not list)")
	fs.StringVar(&o.flags.Kubeconfig, "kubeconfig", "", "kubectl's --kubeconfig")
	fs.StringVar(&o.flags.Context, "context", "", "kubectl's --context")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "how long to wait for the probe's container to start and finish")
	fo := &fleetOptions{}
	fo.bind(fs)
	fs.Usage = func() { fmt.Fprint(p.Stderr, withFleetUsage(usage)); fs.PrintDefaults() }
	// The pod may come before the flags, as kubectl's own commands allow.
	var pods []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return verdict.ExitOK
			}
			return verdict.ExitUsage
		}
		args = fs.Args()
		if len(args) > 0 {
			pods = append(pods, args[0])
			args = args[1:]
		}
	}
	if err := checkNames(o, fo, pods); err != nil {
		return p.report(0, err)
	}
	if o.timeout <= 0 {
		return p.report(0, hint.Errorf(verdict.ExitUsage, "--timeout=3m", "--timeout=%s: it must be positive", o.timeout))
	}
	// Every kubectl call is bounded by --timeout; one that runs out of it
	// is killed with its children and stops the run (cleanup still runs,
	// on a budget of its own), which ends with a line naming that call.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	orig := p.Kube
	p.Kube = &kube.Bounded{R: orig, Timeout: o.timeout, Stop: stop}
	defer func() { p.Kube = orig }()
	if len(pods) == 0 && (fo.all || o.namespace != "") {
		code, err := p.runFleet(ctx, o, fo)
		return p.report(stalled(ctx, code, err))
	}
	if len(pods) != 1 || fo.all {
		return p.report(0, hint.Errorf(verdict.ExitUsage, "kubectl irsa-probe -n NAMESPACE POD", "want exactly one POD, or -A / -n NAMESPACE without one"))
	}
	code, err := ephemeral.Run(ctx, p.Kube, ephemeral.Options{
		Choice:    ephemeral.Choice{UID: o.uid, GID: o.gid, Image: o.image},
		Namespace: o.namespace, Pod: pods[0], Container: o.container,
		Flags: o.flags, Print: o.print, Timeout: o.timeout, Version: p.Version,
	}, p.Stdout, p.Stderr)
	return p.report(stalled(ctx, code, err))
}

// stalled makes a run a stalled kubectl call stopped an error naming
// that call, whatever else it returned.
func stalled(ctx context.Context, code int, err error) (int, error) {
	var se *kube.StalledError
	if errors.As(context.Cause(ctx), &se) && !errors.As(err, &se) {
		if code == verdict.ExitOK || code == verdict.ExitUndecided {
			code = verdict.ExitError
		}
		return code, se
	}
	return code, err
}

// checkNames refuses a name flag (or POD) that starts with '-': it is a
// flag whose value was left out (-n --kubeconfig=…), and kubectl would
// read it as one.
func checkNames(o *options, fo *fleetOptions, pods []string) error {
	for _, n := range []struct{ flag, v string }{{"--namespace", o.namespace}, {"--container", o.container}, {"--context", o.flags.Context},
		{"--cluster", fo.cluster}} {
		if strings.HasPrefix(n.v, "-") {
			return hint.Errorf(verdict.ExitUsage, n.flag+"=NAME", "%s=%q: a name cannot start with '-' (was the flag's value left out?)", n.flag, n.v)
		}
	}
	for _, pod := range pods {
		if strings.HasPrefix(pod, "-") {
			return hint.Errorf(verdict.ExitUsage, "kubectl irsa-probe --namespace=NAMESPACE POD", "POD %q: a name cannot start with '-'", pod)
		}
	}
	return nil
}

// report prints err with its hint and settles the exit code: the one
// given, else the error's, else ExitError.
func (p *Plugin) report(code int, err error) int {
	if err == nil {
		return code
	}
	c := hint.Printer{Prog: "kubectl-irsa_probe", W: p.Stderr}.Fail(err, verdict.ExitError)
	if code != 0 {
		return code
	}
	return c
}
