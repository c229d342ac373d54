package plugin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// newFake is a fake cluster with the recorded pod (kubectl get pod)
// in namespace payments at Pod Security level psaLevel ("": unlabelled);
// kubectl debug records its --custom file and container, and the debug
// container's log is a broken identity's report.
func newFake(t *testing.T, podJSON []byte, psaLevel string) *kubefake.Fake {
	t.Helper()
	c := &kubefake.Cluster{}
	var labels map[string]string
	if psaLevel != "" {
		labels = map[string]string{"pod-security.kubernetes.io/enforce": psaLevel}
	}
	c.NamespaceLabeled("payments", labels)
	f := kubefake.New(t, c)
	f.Set(t, "pod.json", string(podJSON))
	return f
}

func recordedPod(t *testing.T, edit func(string) string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/pod.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		return []byte(edit(string(b)))
	}
	return b
}

func runPlugin(f *kubefake.Fake, args ...string) (code int, stdout, stderr string) {
	return runWith(context.Background(), f, args...)
}

// strictContainer decodes a --custom spec strictly into core/v1's
// Container: an unknown or mistyped field fails.
func strictContainer(t *testing.T, spec []byte) corev1.Container {
	t.Helper()
	var c corev1.Container
	kubefake.Strict(t, spec, &c)
	return c
}

// TestPrintMatchesTheTargetsUser: the dry run names the application
// container (the one the webhook gave AWS_ROLE_ARN), and its spec runs as
// that container's uid and gid under the restricted profile.
func TestPrintMatchesTheTargetsUser(t *testing.T) {
	f := newFake(t, recordedPod(t, nil), "restricted")
	code, out, errOut := runPlugin(f, "-n", "payments", "billing-api-7d9f8b6c5-x2k4q", "--print")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	_, rest, ok := strings.Cut(out, "<<'JSON'\n")
	spec, rest, ok2 := strings.Cut(rest, "JSON\n")
	if !ok || !ok2 {
		t.Fatalf("no spec in:\n%s", out)
	}
	c := strictContainer(t, []byte(spec))
	sc := c.SecurityContext
	kubefake.Restricted(t, sc)
	if sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup == nil || *sc.RunAsGroup != 3000 {
		t.Errorf("runs as %v:%v, want the pod's 1000:3000", sc.RunAsUser, sc.RunAsGroup)
	}
	for _, w := range []string{"kubectl debug billing-api-7d9f8b6c5-x2k4q --namespace=payments --target=app --image=" + ImageRepo + ":" + testVersion + " --profile=restricted --custom=irsa-probe-",
		"--quiet --arguments-only -- check --target=auto", "kubectl logs billing-api-7d9f8b6c5-x2k4q --namespace=payments --container=irsa-probe-"} {
		if !strings.Contains(rest, w) {
			t.Errorf("dry run lacks %q:\n%s", w, out)
		}
	}
	for _, a := range f.Argv() {
		if !strings.HasPrefix(a, "get ") {
			t.Errorf("the dry run ran kubectl %s", a)
		}
	}
}

// TestRunStreamsAndExitsWithTheProbesCode runs the plan against the fake:
// kubectl debug gets the spec (container's own uid, -c envoy's 101 here),
// the log is streamed, the exit code is the probe's.
func TestRunStreamsAndExitsWithTheProbesCode(t *testing.T) {
	f := newFake(t, recordedPod(t, nil), "")
	code, out, errOut := runPlugin(f, "billing-api-7d9f8b6c5-x2k4q", "-c", "envoy", "--image=registry.internal/irsa-probe:v0.1.0", "--context=prod")
	if code != 1 {
		t.Fatalf("exit %d, want the probe's 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "irsa-probe: BROKEN") {
		t.Errorf("report not streamed: %q", out)
	}
	b, err := os.ReadFile(filepath.Join(f.Dir, "custom.json"))
	if err != nil {
		t.Fatal(err)
	}
	sc := strictContainer(t, b).SecurityContext
	kubefake.Restricted(t, sc)
	if *sc.RunAsUser != 101 || *sc.RunAsGroup != 3000 {
		t.Errorf("runs as %d:%d, want envoy's 101 and the pod's group 3000", *sc.RunAsUser, *sc.RunAsGroup)
	}
	argv := f.Argv()
	var debug string
	for _, a := range argv {
		if strings.HasPrefix(a, "debug ") {
			debug = a
		}
		if !strings.Contains(a, "--context=prod") {
			t.Errorf("kubectl %s: without --context", a)
		}
	}
	for _, w := range []string{"--target=envoy", "--image=registry.internal/irsa-probe:v0.1.0", "--profile=restricted", "-- check --target=auto"} {
		if !strings.Contains(debug, w) {
			t.Errorf("kubectl %s: lacks %s", debug, w)
		}
	}
}

// TestUnknownUser: with no runAsUser anywhere, the general profile (root
// and CAP_SYS_PTRACE) only where Pod Security allows it; else a usage
// error asking for --uid, which then gives the restricted spec.
func TestUnknownUser(t *testing.T) {
	noUser := func(s string) string {
		s = strings.Replace(s, `"runAsUser": 1000, "runAsGroup": 3000, `, "", 1)
		return strings.Replace(s, `"securityContext": {"runAsUser": 101}`, `"securityContext": {}`, 1)
	}
	f := newFake(t, recordedPod(t, noUser), "")
	code, out, errOut := runPlugin(f, "billing-api-7d9f8b6c5-x2k4q", "--print")
	if code != 0 || !strings.Contains(out, "--profile=general") {
		t.Fatalf("no PSA label: exit %d\n%s%s", code, out, errOut)
	}
	_, rest, _ := strings.Cut(out, "<<'JSON'\n")
	spec, _, _ := strings.Cut(rest, "JSON\n")
	sc := strictContainer(t, []byte(spec)).SecurityContext
	if *sc.RunAsUser != 0 || len(sc.Capabilities.Add) != 1 || sc.Capabilities.Add[0] != "SYS_PTRACE" {
		t.Errorf("general: %+v", sc)
	}

	f = newFake(t, recordedPod(t, noUser), "baseline")
	code, _, errOut = runPlugin(f, "billing-api-7d9f8b6c5-x2k4q", "--print")
	if code != verdict.ExitUsage || !strings.Contains(errOut, "hint: pass the user the image runs as: --uid=UID") {
		t.Errorf("baseline: exit %d\n%s", code, errOut)
	}
	code, out, _ = runPlugin(f, "billing-api-7d9f8b6c5-x2k4q", "--print", "--uid=1001")
	if code != 0 || !strings.Contains(out, `"runAsUser": 1001`) || !strings.Contains(out, "--profile=restricted") {
		t.Errorf("--uid: exit %d\n%s", code, out)
	}
}

// TestRunAsUserWithoutGroup: a pod spec with runAsUser and no runAsGroup
// runs its application with group 0 (the runtime's, for a uid its image
// does not list); the probe must share uid and gid to read /proc/1, so its
// group is 0 too, not the uid (found on a real kubelet: target-unreadable).
func TestRunAsUserWithoutGroup(t *testing.T) {
	f := newFake(t, recordedPod(t, func(s string) string {
		return strings.Replace(s, `"runAsGroup": 3000, `, "", 1)
	}), "restricted")
	code, out, errOut := runPlugin(f, "billing-api-7d9f8b6c5-x2k4q", "-c", "app", "--print")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	_, rest, _ := strings.Cut(out, "<<'JSON'\n")
	spec, _, _ := strings.Cut(rest, "JSON\n")
	sc := strictContainer(t, []byte(spec)).SecurityContext
	kubefake.Restricted(t, sc)
	if sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup == nil || *sc.RunAsGroup != 0 {
		t.Errorf("runs as %v:%v, want the pod's uid 1000 and group 0", sc.RunAsUser, sc.RunAsGroup)
	}
	code, out, _ = runPlugin(f, "billing-api-7d9f8b6c5-x2k4q", "-c", "app", "--print", "--gid=1000")
	if code != 0 || !strings.Contains(out, `"runAsGroup": 1000`) {
		t.Errorf("--gid=1000: exit %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	f := newFake(t, recordedPod(t, nil), "")
	if code, _, errOut := runPlugin(f); code != verdict.ExitUsage || !strings.Contains(errOut, "want exactly one POD") {
		t.Errorf("no pod: %d %s", code, errOut)
	}
	if code, _, errOut := runPlugin(f, "billing-api-7d9f8b6c5-x2k4q", "-c", "nope", "--print"); code != verdict.ExitUsage || !strings.Contains(errOut, `no container "nope" (it has envoy, app)`) {
		t.Errorf("-c nope: %d %s", code, errOut)
	}
}
