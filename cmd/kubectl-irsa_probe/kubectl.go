package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// maxKubectlOutput caps what is read from kubectl get: a pod is a few KiB.
const maxKubectlOutput = 8 << 20

// kubectl runs the kubectl on PATH with the user's global flags.
type kubectl struct {
	opts   *options
	stderr io.Writer
}

// global prefixes args with --kubeconfig and --context when given.
func (k *kubectl) global(args []string) []string {
	var g []string
	if k.opts.kubeconfig != "" {
		g = append(g, "--kubeconfig="+k.opts.kubeconfig)
	}
	if k.opts.context != "" {
		g = append(g, "--context="+k.opts.context)
	}
	return append(args[:1:1], append(g, args[1:]...)...)
}

// nsArgs is args with the global flags and the namespace, when given.
func (k *kubectl) nsArgs(args ...string) []string {
	if k.opts.namespace != "" {
		args = append(args, "--namespace="+k.opts.namespace)
	}
	return k.global(args)
}

// output runs kubectl and returns its stdout; its stderr goes into the error.
func (k *kubectl) output(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limited{w: &stdout, n: maxKubectlOutput}, &limited{w: &stderr, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kubectl %s: %v: %s", strings.Join(args[:min(3, len(args))], " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// run runs kubectl with its stdout to w (nil: the plugin's stderr, which
// keeps stdout the report's) and its stderr to the plugin's.
func (k *kubectl) run(ctx context.Context, w io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	if w == nil {
		w = k.stderr
	}
	cmd.Stdout, cmd.Stderr = w, k.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kubectl %s: %w", args[0], err)
	}
	return nil
}

// limited writes at most n bytes to w, then drops the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if len(p) > l.n {
		if l.n > 0 {
			_, _ = l.w.Write(p[:l.n])
		}
		l.n = 0
		return len(p), nil
	}
	l.n -= len(p)
	return l.w.Write(p)
}
