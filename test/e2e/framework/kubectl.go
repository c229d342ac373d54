//go:build e2e

package framework

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Kubectl runs the machine's kubectl against the suite's cluster.
type Kubectl struct {
	Kubeconfig string
	// Env is added to kubectl's environment (PATH for plugins).
	Env []string
}

// Result is a finished kubectl (or plugin) command.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Exec runs kubectl with args and stdin, bounded by a minute unless ctx
// says otherwise; it fails only if kubectl could not run.
func (k *Kubectl) Exec(ctx context.Context, stdin string, args ...string) (Result, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+k.Kubeconfig), k.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	return r, nil
}

// Run runs kubectl and returns its stdout; a non-zero exit is an error
// carrying stderr.
func (k *Kubectl) Run(ctx context.Context, args ...string) (string, error) {
	return k.RunStdin(ctx, "", args...)
}

// RunStdin is Run with stdin.
func (k *Kubectl) RunStdin(ctx context.Context, stdin string, args ...string) (string, error) {
	r, err := k.Exec(ctx, stdin, args...)
	if err != nil {
		return r.Stdout, err
	}
	if r.ExitCode != 0 {
		return r.Stdout, fmt.Errorf("kubectl %s: exit %d: %s", strings.Join(args, " "), r.ExitCode, strings.TrimSpace(r.Stderr))
	}
	return r.Stdout, nil
}
