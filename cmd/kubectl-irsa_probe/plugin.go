package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// version is the release this plugin belongs to; its default image is that
// release's (make build sets it from VERSION; deploy/version_test.go keeps
// this default equal to VERSION).
var version = "v0.1.0"

// imageRepo is where the release workflow pushes the probe's image.
const imageRepo = "ghcr.io/irsa-probe/irsa-probe"

// Exit codes of the plugin's own failures; otherwise it exits with the
// probe's (0 works, 1 broken, 3 undecided).
const (
	exitUsage = 2 // the probe's usage code too
	exitError = 4 // kubectl failed, or the probe never ran
)

type options struct {
	namespace, container, image, name string
	kubeconfig, context               string
	print                             bool
	uid, gid                          int64
	timeout                           time.Duration
}

// hintError is an error with what to do about it.
type hintError struct{ msg, hint string }

func (e *hintError) Error() string { return e.msg }

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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kubectl irsa-probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.namespace, "n", "", "namespace (default: the context's)")
	fs.StringVar(&o.namespace, "namespace", "", "namespace (default: the context's)")
	fs.StringVar(&o.container, "c", "", "the application container (default: the pod's default container, else the one with AWS_ROLE_ARN or AWS_CONTAINER_CREDENTIALS_FULL_URI, else the first)")
	fs.StringVar(&o.container, "container", "", "same as -c")
	fs.StringVar(&o.image, "image", imageRepo+":"+version, "the probe's image (a private registry's copy, in air-gapped clusters)")
	fs.BoolVar(&o.print, "print", false, "dry run: print the kubectl commands instead of running them")
	fs.Int64Var(&o.uid, "uid", -1, "the user the application runs as, when the pod spec does not say (its image's USER)")
	fs.Int64Var(&o.gid, "gid", -1, "the application's group (default: the pod spec's runAsGroup, else 0, the group a runtime gives a runAsUser its image's /etc/passwd does not list)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubectl's --kubeconfig")
	fs.StringVar(&o.context, "context", "", "kubectl's --context")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "how long to wait for the probe's container to start and finish")
	fo := &fleetOptions{}
	fo.bind(fs)
	fs.Usage = func() { fmt.Fprint(stderr, withFleetUsage(usage)); fs.PrintDefaults() }
	// The pod may come before the flags, as kubectl's own commands allow.
	var pods []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return exitUsage
		}
		args = fs.Args()
		if len(args) > 0 {
			pods = append(pods, args[0])
			args = args[1:]
		}
	}
	k := &kubectl{opts: o, stderr: stderr}
	if len(pods) == 0 && (fo.all || o.namespace != "") {
		code, err := runFleet(ctx, k, o, fo, stdout)
		return report(stderr, code, err)
	}
	if len(pods) != 1 || fo.all {
		fmt.Fprintln(stderr, "kubectl-irsa_probe: error: want exactly one POD, or -A / -n NAMESPACE without one")
		fmt.Fprintln(stderr, "kubectl-irsa_probe: hint: kubectl irsa-probe -n NAMESPACE POD")
		return exitUsage
	}
	code, err := debugPod(ctx, k, pods[0], o, stdout)
	return report(stderr, code, err)
}

// report prints err with its hint and settles the exit code.
func report(stderr io.Writer, code int, err error) int {
	if err != nil {
		fmt.Fprintln(stderr, "kubectl-irsa_probe: error: "+err.Error())
		var he *hintError
		if errors.As(err, &he) {
			fmt.Fprintln(stderr, "kubectl-irsa_probe: hint: "+he.hint)
		}
		if code == 0 {
			code = exitError
		}
	}
	return code
}

// debugPod plans the ephemeral container from the pod and its namespace,
// then prints the plan (--print) or runs it: kubectl debug, the container's
// log streamed to stdout until it ends, its exit code returned.
func debugPod(ctx context.Context, k *kubectl, name string, o *options, stdout io.Writer) (int, error) {
	b, err := k.output(ctx, k.nsArgs("get", "pod", name, "--output=json")...)
	if err != nil {
		return 0, err
	}
	p, err := decodePod(b)
	if err != nil {
		return 0, err
	}
	c, err := p.appContainer(o.container)
	if err != nil {
		return exitUsage, &hintError{msg: err.Error(), hint: "pick one with -c NAME"}
	}
	level := ""
	if b, err := k.output(ctx, k.global([]string{"get", "namespace", p.Metadata.Namespace, "--output=json"})...); err == nil {
		var ns namespace
		if json.Unmarshal(b, &ns) == nil {
			level = ns.Metadata.Labels[enforceLabel]
		}
	}
	if o.name == "" {
		if o.name, err = freshName(p, rand.IntN); err != nil {
			return 0, err
		}
	}
	pl, err := makePlan(p, c, level, o)
	if err != nil {
		return exitUsage, err
	}
	if o.print {
		printPlan(stdout, k, pl)
		return 0, nil
	}
	f, err := os.CreateTemp("", "irsa-probe-debug-*.json")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(pl.specJSON()); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	fmt.Fprintf(k.stderr, "kubectl-irsa_probe: ephemeral container %s in pod %s/%s, target %s, image %s; it %s\n", pl.Container, pl.Namespace, pl.Pod, pl.Target, pl.Image, pl.Why)
	if err := k.run(ctx, nil, k.global(pl.debugArgs(f.Name()))...); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if _, err := waitFor(ctx, k, pl, func(s *containerStatus) bool { return s.State.Running != nil || s.State.Terminated != nil }); err != nil {
		return 0, err
	}
	if err := k.run(ctx, stdout, k.global([]string{"logs", pl.Pod, "--namespace=" + pl.Namespace, "--container=" + pl.Container, "--follow"})...); err != nil {
		return 0, err
	}
	s, err := waitFor(ctx, k, pl, func(s *containerStatus) bool { return s.State.Terminated != nil })
	if err != nil {
		return 0, err
	}
	return s.State.Terminated.ExitCode, nil
}

// waitFor polls the pod until the ephemeral container's status satisfies
// done, failing early on an image that cannot be pulled.
func waitFor(ctx context.Context, k *kubectl, pl *plan, done func(*containerStatus) bool) (*containerStatus, error) {
	for {
		b, err := k.output(ctx, k.global([]string{"get", "pod", pl.Pod, "--namespace=" + pl.Namespace, "--output=json"})...)
		if err != nil {
			return nil, err
		}
		p, err := decodePod(b)
		if err != nil {
			return nil, err
		}
		if s := p.status(pl.Container); s != nil {
			if done(s) {
				return s, nil
			}
			if w := s.State.Waiting; w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff" || w.Reason == "InvalidImageName") {
				return nil, &hintError{msg: fmt.Sprintf("the probe's image %s cannot be pulled: %s: %s", pl.Image, w.Reason, w.Message), hint: "use a reachable copy: --image=REGISTRY/irsa-probe:" + version}
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for ephemeral container %s: %w", pl.Container, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// printPlan prints the commands the plan runs, ready to paste.
func printPlan(w io.Writer, k *kubectl, pl *plan) {
	file := pl.Container + ".json"
	fmt.Fprintf(w, "# %s/%s, container %s: the probe %s\n", pl.Namespace, pl.Pod, pl.Target, pl.Why)
	fmt.Fprintf(w, "cat > %s <<'JSON'\n%sJSON\n", file, pl.specJSON())
	fmt.Fprintf(w, "kubectl %s\n", shellJoin(k.global(pl.debugArgs(file))))
	fmt.Fprintf(w, "kubectl %s\n", shellJoin(k.global([]string{"logs", pl.Pod, "--namespace=" + pl.Namespace, "--container=" + pl.Container, "--follow"})))
	fmt.Fprintf(w, "kubectl %s\n", shellJoin(k.global([]string{"get", "pod", pl.Pod, "--namespace=" + pl.Namespace,
		`--output=jsonpath={.status.ephemeralContainerStatuses[?(@.name=="` + pl.Container + `")].state.terminated.exitCode}`})))
}

// shellJoin quotes args for a POSIX shell where they need it.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,@") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
