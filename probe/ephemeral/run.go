package ephemeral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/hint"
	"github.com/irsa-probe/irsa-probe/probe/kube"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// Options are one run of the plugin against a pod.
type Options struct {
	Choice
	// Namespace is -n ("": the context's); Pod the pod's name; Container
	// is -c ("": AppContainer decides).
	Namespace, Pod, Container string
	Flags                     kube.Flags
	// Print prints the commands instead of running them.
	Print bool
	// Timeout bounds the wait for the container to start and finish.
	Timeout time.Duration
	// Version is the plugin's release, for the image hint.
	Version string
	// Intn draws a name's letters (nil: math/rand/v2's).
	Intn func(n int) int
	// Poll is how often the pod's status is read (0: 1 s).
	Poll time.Duration
}

// Run plans the ephemeral container from the pod and its namespace, then
// prints the plan (Print) or runs it: kubectl debug (its output to
// stderr, keeping stdout the report's), the container's log streamed to
// stdout until it ends, its exit code returned.
func Run(ctx context.Context, r kube.Runner, o Options, stdout, stderr io.Writer) (int, error) {
	b, err := get(ctx, r, o.Flags.Args(nsArgs(o.Namespace, "get", "pod", o.Pod, "--output=json")...))
	if err != nil {
		return 0, err
	}
	p, err := kube.DecodePod(b)
	if err != nil {
		return 0, err
	}
	c, err := AppContainer(p, o.Container)
	if err != nil {
		return verdict.ExitUsage, &hint.Error{Msg: err.Error(), Hint: "pick one with -c NAME", Code: verdict.ExitUsage}
	}
	level := ""
	if b, err := get(ctx, r, o.Flags.Args("get", "namespace", p.Metadata.Namespace, "--output=json")); err == nil {
		var ns kube.Namespace
		if json.Unmarshal(b, &ns) == nil {
			level = ns.Metadata.Labels[EnforceLabel]
		}
	}
	if o.Name == "" {
		intn := o.Intn
		if intn == nil {
			intn = rand.IntN
		}
		if o.Name, err = FreshName(p, intn); err != nil {
			return 0, err
		}
	}
	pl, err := MakePlan(p, c, level, o.Choice)
	if err != nil {
		return verdict.ExitUsage, err
	}
	if o.Print {
		return 0, PrintPlan(stdout, stderr, o.Flags, pl)
	}
	f, err := os.CreateTemp("", "irsa-probe-debug-*.json")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(pl.SpecJSON()); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	fmt.Fprintf(stderr, "kubectl-irsa_probe: ephemeral container %s in pod %s/%s, target %s, image %s; it %s\n", pl.Container, pl.Namespace, pl.Pod, pl.Target, pl.Image, pl.Why)
	if err := stream(ctx, r, o.Flags.Args(pl.DebugArgs(f.Name())...), stderr, stderr); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if _, err := waitFor(ctx, r, o, pl, func(s *kube.ContainerStatus) bool { return s.State.Running != nil || s.State.Terminated != nil }); err != nil {
		return 0, err
	}
	if err := stream(ctx, r, o.Flags.Args(pl.LogsArgs()...), stdout, stderr); err != nil {
		return 0, err
	}
	s, err := waitFor(ctx, r, o, pl, func(s *kube.ContainerStatus) bool { return s.State.Terminated != nil })
	if err != nil {
		return 0, err
	}
	return s.State.Terminated.ExitCode, nil
}

// nsArgs is args with the namespace, when given.
func nsArgs(namespace string, args ...string) []string {
	if namespace != "" {
		args = append(args, "--namespace="+namespace)
	}
	return args
}

// get runs kubectl and returns its stdout; kubectl's stderr is the error.
func get(ctx context.Context, r kube.Runner, args []string) ([]byte, error) {
	b, err := r.Run(ctx, kube.Call{Args: args})
	var se *kube.StalledError
	if errors.As(err, &se) {
		return nil, err // names the call itself
	}
	if err != nil {
		return nil, fmt.Errorf("kubectl %s: %w", strings.Join(args[:min(3, len(args))], " "), err)
	}
	return b, nil
}

// stream runs kubectl with its output and errors going to the person as
// they come.
func stream(ctx context.Context, r kube.Runner, args []string, stdout, stderr io.Writer) error {
	if _, err := r.Run(ctx, kube.Call{Args: args, Stdout: stdout, Stderr: stderr}); err != nil {
		var se *kube.StalledError
		if errors.As(err, &se) {
			return err
		}
		return fmt.Errorf("kubectl %s: %w", args[0], err)
	}
	return nil
}

// waitFor polls the pod until the ephemeral container's status satisfies
// done, failing early on an image that cannot be pulled.
func waitFor(ctx context.Context, r kube.Runner, o Options, pl *Plan, done func(*kube.ContainerStatus) bool) (*kube.ContainerStatus, error) {
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		b, err := get(ctx, r, o.Flags.Args("get", "pod", pl.Pod, "--namespace="+pl.Namespace, "--output=json"))
		if err != nil {
			return nil, err
		}
		p, err := kube.DecodePod(b)
		if err != nil {
			return nil, err
		}
		if s := p.EphemeralStatus(pl.Container); s != nil {
			if done(s) {
				return s, nil
			}
			if w := s.State.Waiting; w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff" || w.Reason == "InvalidImageName") {
				return nil, &hint.Error{Msg: fmt.Sprintf("the probe's image %s cannot be pulled: %s: %s", pl.Image, w.Reason, w.Message), Hint: "use a reachable copy: --image=REGISTRY/irsa-probe:" + o.Version}
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for ephemeral container %s: %w", pl.Container, ctx.Err())
		case <-time.After(poll):
		}
	}
}
