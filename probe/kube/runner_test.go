package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stub writes an executable kubectl stand-in running script.
func stub(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubectl")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunKillsTheProcessGroup: a kubectl that stalls, with a child that
// holds its stdout open (an exec credential plugin, say), is killed with
// that child when ctx ends, and Run returns.
func TestRunKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	k := &Kubectl{Path: stub(t, `sleep 300 & echo $! > `+pidFile+`
wait
`), WaitDelay: 100 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := k.Run(ctx, Call{Args: []string{"get", "pods"}})
		done <- err
	}()
	var child int
	for end := time.Now().Add(10 * time.Second); child == 0 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if child == 0 {
		t.Fatal("the stub never started its child")
	}
	cancel()
	select {
	case err := <-done:
		var ke *Error
		if !errors.As(err, &ke) || !errors.Is(err, context.Canceled) || ke.ExitCode != -1 {
			t.Errorf("err = %v, want a kube.Error wrapping context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context was canceled")
	}
	// The child is gone (a zombie reaped by init at the latest: poll).
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if err := syscall.Kill(child, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat"); strings.Contains(string(b), ") Z ") {
			break
		}
		if time.Now().After(end) {
			_ = syscall.Kill(child, syscall.SIGKILL)
			t.Fatalf("kubectl's child %d outlived the canceled call", child)
		}
	}
}

// TestRunReasonAndCap: the API server's status reason is read from
// kubectl's "Error from server (REASON)" line; output beyond Max is an
// error, never a cut document.
func TestRunReasonAndCap(t *testing.T) {
	ctx := context.Background()
	k := &Kubectl{Path: stub(t, `echo 'Error from server (NotFound): namespaces "shopp" not found' >&2; exit 1`)}
	_, err := k.Run(ctx, Call{Args: []string{"get", "namespaces", "shopp"}})
	var ke *Error
	if !errors.As(err, &ke) || ke.Reason != ReasonNotFound || ke.ExitCode != 1 || !IsReason(err, ReasonNotFound) ||
		err.Error() != `Error from server (NotFound): namespaces "shopp" not found` {
		t.Errorf("err = %#v", err)
	}
	k = &Kubectl{Path: stub(t, `echo 'error: unknown flag: --bogus' >&2; exit 1`)}
	if _, err := k.Run(ctx, Call{Args: []string{"get", "--bogus"}}); err == nil || IsReason(err, ReasonNotFound) {
		t.Errorf("client error: %v", err)
	}
	k = &Kubectl{Path: stub(t, `head -c 3000 /dev/zero`)}
	if _, err := k.Run(ctx, Call{Args: []string{"get", "pods"}, Max: 2048}); err == nil {
		t.Error("3,000 bytes read under a 2,048-byte cap")
	}
	if b, err := k.Run(ctx, Call{Args: []string{"get", "pods"}, Max: 4096}); err != nil || len(b) != 3000 {
		t.Errorf("under the cap: %d bytes, %v", len(b), err)
	}
	k = &Kubectl{Path: stub(t, `cat`)}
	if b, err := k.Run(ctx, Call{Args: []string{"create", "--filename=-"}, Stdin: []byte("{}")}); err != nil || string(b) != "{}" {
		t.Errorf("stdin: %q %v", b, err)
	}
}

func TestFlagsArgs(t *testing.T) {
	f := Flags{Kubeconfig: "/k", Context: "prod"}
	if got := strings.Join(f.Args("get", "pods", "-A"), " "); got != "get --kubeconfig=/k --context=prod pods -A" {
		t.Errorf("Args = %s", got)
	}
	if got := (Flags{}).Args("get"); len(got) != 1 {
		t.Errorf("no flags: %q", got)
	}
}
