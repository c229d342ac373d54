package plugin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/kube"
	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// stallingKubectl is a kubectl that answers as f, except that a call
// whose words contain " STALL " never returns: it starts a child that
// sleeps, records the child's pid, and waits.
func stallingKubectl(t *testing.T, dir, stall string) string {
	t.Helper()
	script := filepath.Join(dir, "kubectl-stalls")
	src := `#!/bin/sh
case " $* " in
*" ` + stall + ` "*) sleep 3600 & echo $! >"` + filepath.Join(dir, "child.pid") + `"; wait; exit 1;;
esac
exec "` + filepath.Join(dir, "bin", "kubectl") + `" "$@"
`
	if err := os.WriteFile(script, []byte(src), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// alive reports whether pid runs (a zombie does not: nothing may reap
// it in a container without an init).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// TestStalledKubectlIsKilled: a kubectl that never returns (and started a
// child) is killed with its child at --timeout, in every mode; the run
// ends naming the call, within --timeout plus cleanup plus a few seconds.
func TestStalledKubectlIsKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a kubectl that stalls, and waits out its deadline")
	}
	for _, c := range []struct {
		name, stall string
		args        []string
		names       string
	}{
		{"pod", "get pod", []string{"billing-api-7d9f8b6c5-x2k4q", "--namespace=payments"}, "kubectl get pod billing-api-7d9f8b6c5-x2k4q"},
		{"debug", "debug", []string{"billing-api-7d9f8b6c5-x2k4q", "--namespace=payments"}, "kubectl debug billing-api-7d9f8b6c5-x2k4q"},
		{"listing", "get serviceaccounts", []string{"-A"}, "kubectl get serviceaccounts --all-namespaces"},
		{"prove", "create", []string{"-A", "--prove"}, "kubectl create --namespace=payments"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFleetFake(t, drifted())
			f.Set(t, "pod.json", string(recordedPod(t, nil)))
			var o, e bytes.Buffer
			p := &Plugin{Stdout: &o, Stderr: &e, Kube: &kube.Kubectl{Path: stallingKubectl(t, f.Dir, c.stall)}, Version: testVersion}
			start := time.Now()
			code := p.Main(context.Background(), append(c.args, "--timeout=2s"))
			took := time.Since(start)
			if took > 2*time.Second+10*time.Second {
				t.Errorf("took %s with --timeout=2s", took)
			}
			if code != verdict.ExitError && (c.name != "prove" || code != verdict.ExitBroken) {
				t.Errorf("exit %d, want %d (or 1 for the drift the listing shows)\n%s%s", code, verdict.ExitError, o.String(), e.String())
			}
			if !strings.Contains(e.String(), c.names) || !strings.Contains(e.String(), "did not answer within --timeout=2s") {
				t.Errorf("stderr does not name the stalled call %q:\n%s", c.names, e.String())
			}
			b, err := os.ReadFile(filepath.Join(f.Dir, "child.pid"))
			if err != nil {
				t.Fatalf("the stalled call never ran: %v", err)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			deadline := time.Now().Add(5 * time.Second)
			for alive(pid) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if alive(pid) {
				t.Errorf("the stalled kubectl's child %d still runs", pid)
			}
			if c.name == "prove" {
				if left := f.JobsLeft(); len(left) != 0 {
					t.Errorf("Jobs left behind: %v", left)
				}
			}
		})
	}
}

// TestUndeletableCanaryFails: a canary Job the plugin may not delete
// makes the run fail, and the exact command that deletes it is printed on
// a line of its own.
func TestUndeletableCanaryFails(t *testing.T) {
	c := &kubefake.Cluster{} // consistent, and its canary proves it: only the Job left behind fails the run
	c.Namespace("shop")
	c.SA("shop", "cart", roleCart)
	c.Pod("shop", "cart", "cart", "irsa", roleCart)
	f := newFleetFake(t, c)
	f.Set(t, "canaries.json", `{}`)
	f.Set(t, "forbidden", "delete:jobs/shop")
	code, out, errOut := runWith(context.Background(), f, "-n", "shop", "--prove", "--timeout=3s", "--context=prod")
	if code == verdict.ExitOK {
		t.Errorf("exit 0 with a canary Job left behind\n%s%s", out, errOut)
	}
	var run string
	for _, a := range f.Argv() {
		if strings.HasPrefix(a, "delete ") {
			_, sel, _ := strings.Cut(a, "--selector=irsa-probe.io/run=")
			run, _, _ = strings.Cut(sel, " ")
		}
	}
	want := "\n  kubectl delete jobs --namespace=shop --selector=irsa-probe.io/run=" + run + " --context=prod\n"
	if run == "" || !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
}

// TestNameFlagsStartingWithDash: -n --kubeconfig=… is a value left out,
// never a kubectl flag.
func TestNameFlagsStartingWithDash(t *testing.T) {
	f := newFleetFake(t, drifted())
	for _, args := range [][]string{{"-n", "--kubeconfig=/tmp/x"}, {"-A", "--context=-x"}, {"-n", "payments", "-c", "-v"}, {"-A", "--cluster", "-prod"}} {
		code, _, errOut := runWith(context.Background(), f, args...)
		if code != verdict.ExitUsage || !strings.Contains(errOut, "cannot start with '-'") {
			t.Errorf("%q: exit %d\n%s", args, code, errOut)
		}
	}
	if argv := f.Argv(); len(argv) != 0 {
		t.Errorf("kubectl ran: %q", argv)
	}
}
