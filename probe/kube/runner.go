package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Runner runs one kubectl command. Kubectl is the real one; tests use
// kubefake.Fake.
type Runner interface {
	Run(ctx context.Context, c Call) ([]byte, error)
}

// Call is one kubectl command.
type Call struct {
	// Args follow "kubectl", global flags included (Flags.Args).
	Args []string
	// Stdin is fed to kubectl (nil: none).
	Stdin []byte
	// Stdout, when set, receives kubectl's output as it comes (kubectl
	// logs --follow); else it is returned, at most Max bytes (more is an
	// error, never a silently cut document).
	Stdout io.Writer
	// Stderr, when set, receives kubectl's stderr as it comes; else it is
	// kept (capped) for the Error.
	Stderr io.Writer
	// Max caps the returned stdout (0: DefaultMax).
	Max int
}

// Caps of what is read from kubectl.
const (
	DefaultMax = 8 << 20   // one object: a pod is a few KiB
	ListMax    = 512 << 20 // one listing: 5,000 pods are some 25 MiB of JSON
	stderrMax  = 64 << 10
)

// Error is a kubectl command that failed: its exit code (-1 when it did
// not exit by itself), the API server's status reason when kubectl printed
// one ("Error from server (NotFound): …"), and its stderr.
type Error struct {
	Args     []string
	ExitCode int
	// Reason is the Status reason of kubectl's "Error from server
	// (REASON): …" line: NotFound, Forbidden, … ("" for a client error).
	Reason string
	// Stderr is what kubectl printed there, trimmed.
	Stderr string
	Err    error
}

// Error is kubectl's own message, which is what a person acts on.
func (e *Error) Error() string {
	if e.Stderr != "" {
		return e.Stderr
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Reasons kubectl prints in "Error from server (REASON)".
const (
	ReasonNotFound  = "NotFound"
	ReasonForbidden = "Forbidden"
)

// IsReason reports whether err is a kubectl Error with the API server's
// status reason.
func IsReason(err error, reason string) bool {
	var ke *Error
	return errors.As(err, &ke) && ke.Reason == reason
}

// serverError is kubectl's rendering of an API Status (kubectl's
// cmdutil.StandardErrorMessage): "Error from server (REASON): MESSAGE".
var serverError = regexp.MustCompile(`(?m)^Error from server \(([A-Za-z]+)\)`)

// NewError is the Error of a kubectl that exited with code and printed
// stderr.
func NewError(args []string, code int, stderr string, err error) *Error {
	e := &Error{Args: args, ExitCode: code, Stderr: strings.TrimSpace(stderr), Err: err}
	if m := serverError.FindStringSubmatch(stderr); m != nil {
		e.Reason = m[1]
	}
	return e
}

// Kubectl runs the kubectl on PATH (or Path).
type Kubectl struct {
	// Path is the kubectl to run ("": "kubectl" on PATH).
	Path string
	// WaitDelay bounds how long, after ctx ends and kubectl's process
	// group is killed, Run waits for its output to close (0: 2 s).
	WaitDelay time.Duration
}

var _ Runner = (*Kubectl)(nil)

// Run runs kubectl in a process group of its own: when ctx ends the whole
// group is killed, so a kubectl that stalls (an API server that does not
// answer, an exec credential plugin that hangs) and every child it started
// die with it, and Run returns within WaitDelay.
func (k *Kubectl) Run(ctx context.Context, c Call) ([]byte, error) {
	path := k.Path
	if path == "" {
		path = "kubectl"
	}
	cmd := exec.CommandContext(ctx, path, c.Args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = k.WaitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = 2 * time.Second
	}
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	limit := c.Max
	if limit <= 0 {
		limit = DefaultMax
	}
	var stdout, stderr bytes.Buffer
	out := &capped{w: &stdout, n: limit + 1}
	cmd.Stdout = out
	if c.Stdout != nil {
		cmd.Stdout = c.Stdout
	}
	cmd.Stderr = &capped{w: &stderr, n: stderrMax}
	if c.Stderr != nil {
		cmd.Stderr = c.Stderr
	}
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, NewError(c.Args, code, stderr.String(), err)
	}
	if c.Stdout == nil && stdout.Len() > limit {
		return nil, &Error{Args: c.Args, ExitCode: 0, Err: fmt.Errorf("kubectl %s printed more than %d MiB", strings.Join(c.Args[:min(2, len(c.Args))], " "), limit>>20)}
	}
	return stdout.Bytes(), nil
}

// capped writes at most n bytes to w, then drops the rest (kubectl keeps
// running; the caller sees the cut by the length).
type capped struct {
	w io.Writer
	n int
}

func (l *capped) Write(p []byte) (int, error) {
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

// Flags are kubectl's global flags the user gave the plugin: every
// command it runs or prints carries them, so all act on one cluster.
type Flags struct {
	Kubeconfig, Context string
}

// Global is the flags as kubectl arguments.
func (f Flags) Global() []string {
	var g []string
	if f.Kubeconfig != "" {
		g = append(g, "--kubeconfig="+f.Kubeconfig)
	}
	if f.Context != "" {
		g = append(g, "--context="+f.Context)
	}
	return g
}

// Args is args (a kubectl command: its verb first) with the global flags
// after the verb.
func (f Flags) Args(args ...string) []string {
	if len(args) == 0 {
		return f.Global()
	}
	out := append([]string{args[0]}, f.Global()...)
	return append(out, args[1:]...)
}
