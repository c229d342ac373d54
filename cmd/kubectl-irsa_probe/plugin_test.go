package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/json"
)

// fakeKubectl is a kubectl on PATH that answers get pod with a recorded
// pod (with the debug container's status once debug ran), get namespace
// with the namespace's labels, logs with a report, and records every
// argv (one line each) and the --custom file debug was given.
const fakeKubectl = `#!/bin/sh
d="$FAKE_KUBECTL_DIR"
printf '%s\n' "$*" >> "$d/argv"
case "$1" in
get)
	case " $* " in
	*" pod "*)
		if [ -f "$d/debugged" ]; then
			name=$(cat "$d/debugged")
			sed 's/"status": {"phase": "Running"}/"status": {"phase": "Running", "ephemeralContainerStatuses": [{"name": "'"$name"'", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}/' "$d/pod.json"
		else
			cat "$d/pod.json"
		fi ;;
	*" namespace "*) cat "$d/namespace.json" ;;
	esac ;;
debug)
	for a in "$@"; do
		case "$a" in
		--custom=*) cp "${a#--custom=}" "$d/custom.json" ;;
		--container=*) printf '%s' "${a#--container=}" > "$d/debugged" ;;
		esac
	done ;;
logs) echo "irsa-probe: BROKEN — identity arn:aws:sts::111122223333:assumed-role/billing-api/x, mechanism irsa (12 ms)" ;;
esac
`

type fake struct{ dir string }

func newFake(t *testing.T, podJSON []byte, psaLevel string) *fake {
	t.Helper()
	dir := t.TempDir()
	write := func(name, s string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("kubectl", fakeKubectl, 0o755)
	write("pod.json", string(podJSON), 0o644)
	labels := `{"kubernetes.io/metadata.name": "payments"}`
	if psaLevel != "" {
		labels = `{"kubernetes.io/metadata.name": "payments", "pod-security.kubernetes.io/enforce": "` + psaLevel + `"}`
	}
	write("namespace.json", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments", "labels": `+labels+`}}`, 0o644)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_KUBECTL_DIR", dir)
	return &fake{dir: dir}
}

func (f *fake) argv(t *testing.T) []string {
	b, _ := os.ReadFile(filepath.Join(f.dir, "argv"))
	return strings.Split(strings.TrimSpace(string(b)), "\n")
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

func runPlugin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// strictContainer decodes a --custom spec strictly into core/v1's
// Container: an unknown or mistyped field fails.
func strictContainer(t *testing.T, spec []byte) corev1.Container {
	t.Helper()
	var c corev1.Container
	strictErrs, err := json.UnmarshalStrict(spec, &c, json.DisallowUnknownFields)
	if err != nil || len(strictErrs) > 0 {
		t.Fatalf("spec does not decode strictly as a core/v1 Container: %v %v\n%s", err, strictErrs, spec)
	}
	return c
}

// restricted checks the Pod Security "restricted" rules a container's
// security context must meet.
func restricted(t *testing.T, sc *corev1.SecurityContext) {
	t.Helper()
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Add) != 0 || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || (sc.RunAsUser != nil && *sc.RunAsUser == 0) {
		t.Errorf("security context does not pass Pod Security restricted: %+v", sc)
	}
}

// TestPrintMatchesTheTargetsUser: the dry run names the application
// container (the one the webhook gave AWS_ROLE_ARN), and its spec runs as
// that container's uid and gid under the restricted profile.
func TestPrintMatchesTheTargetsUser(t *testing.T) {
	f := newFake(t, recordedPod(t, nil), "restricted")
	code, out, errOut := runPlugin(t, "-n", "payments", "billing-api-7d9f8b6c5-x2k4q", "--print")
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
	restricted(t, sc)
	if sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup == nil || *sc.RunAsGroup != 3000 {
		t.Errorf("runs as %v:%v, want the pod's 1000:3000", sc.RunAsUser, sc.RunAsGroup)
	}
	for _, w := range []string{"kubectl debug billing-api-7d9f8b6c5-x2k4q --namespace=payments --target=app --image=" + imageRepo + ":" + version + " --profile=restricted --custom=irsa-probe-",
		"--quiet --arguments-only -- check --target=auto", "kubectl logs billing-api-7d9f8b6c5-x2k4q --namespace=payments --container=irsa-probe-"} {
		if !strings.Contains(rest, w) {
			t.Errorf("dry run lacks %q:\n%s", w, out)
		}
	}
	for _, a := range f.argv(t) {
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
	code, out, errOut := runPlugin(t, "billing-api-7d9f8b6c5-x2k4q", "-c", "envoy", "--image=registry.internal/irsa-probe:v0.1.0", "--context=prod")
	if code != 1 {
		t.Fatalf("exit %d, want the probe's 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "irsa-probe: BROKEN") {
		t.Errorf("report not streamed: %q", out)
	}
	b, err := os.ReadFile(filepath.Join(f.dir, "custom.json"))
	if err != nil {
		t.Fatal(err)
	}
	sc := strictContainer(t, b).SecurityContext
	restricted(t, sc)
	if *sc.RunAsUser != 101 || *sc.RunAsGroup != 3000 {
		t.Errorf("runs as %d:%d, want envoy's 101 and the pod's group 3000", *sc.RunAsUser, *sc.RunAsGroup)
	}
	argv := f.argv(t)
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
	newFake(t, recordedPod(t, noUser), "")
	code, out, errOut := runPlugin(t, "billing-api-7d9f8b6c5-x2k4q", "--print")
	if code != 0 || !strings.Contains(out, "--profile=general") {
		t.Fatalf("no PSA label: exit %d\n%s%s", code, out, errOut)
	}
	_, rest, _ := strings.Cut(out, "<<'JSON'\n")
	spec, _, _ := strings.Cut(rest, "JSON\n")
	sc := strictContainer(t, []byte(spec)).SecurityContext
	if *sc.RunAsUser != 0 || len(sc.Capabilities.Add) != 1 || sc.Capabilities.Add[0] != "SYS_PTRACE" {
		t.Errorf("general: %+v", sc)
	}

	newFake(t, recordedPod(t, noUser), "baseline")
	code, _, errOut = runPlugin(t, "billing-api-7d9f8b6c5-x2k4q", "--print")
	if code != exitUsage || !strings.Contains(errOut, "hint: pass the user the image runs as: --uid=UID") {
		t.Errorf("baseline: exit %d\n%s", code, errOut)
	}
	code, out, _ = runPlugin(t, "billing-api-7d9f8b6c5-x2k4q", "--print", "--uid=1001")
	if code != 0 || !strings.Contains(out, `"runAsUser": 1001`) || !strings.Contains(out, "--profile=restricted") {
		t.Errorf("--uid: exit %d\n%s", code, out)
	}
}

// TestRunAsUserWithoutGroup: a pod spec with runAsUser and no runAsGroup
// runs its application with group 0 (the runtime's, for a uid its image
// does not list); the probe must share uid and gid to read /proc/1, so its
// group is 0 too, not the uid (found on a real kubelet: target-unreadable).
func TestRunAsUserWithoutGroup(t *testing.T) {
	newFake(t, recordedPod(t, func(s string) string {
		return strings.Replace(s, `"runAsGroup": 3000, `, "", 1)
	}), "restricted")
	code, out, errOut := runPlugin(t, "billing-api-7d9f8b6c5-x2k4q", "-c", "app", "--print")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	_, rest, _ := strings.Cut(out, "<<'JSON'\n")
	spec, _, _ := strings.Cut(rest, "JSON\n")
	sc := strictContainer(t, []byte(spec)).SecurityContext
	restricted(t, sc)
	if sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup == nil || *sc.RunAsGroup != 0 {
		t.Errorf("runs as %v:%v, want the pod's uid 1000 and group 0", sc.RunAsUser, sc.RunAsGroup)
	}
	code, out, _ = runPlugin(t, "billing-api-7d9f8b6c5-x2k4q", "-c", "app", "--print", "--gid=1000")
	if code != 0 || !strings.Contains(out, `"runAsGroup": 1000`) {
		t.Errorf("--gid=1000: exit %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	newFake(t, recordedPod(t, nil), "")
	if code, _, errOut := runPlugin(t); code != exitUsage || !strings.Contains(errOut, "want exactly one POD") {
		t.Errorf("no pod: %d %s", code, errOut)
	}
	if code, _, errOut := runPlugin(t, "billing-api-7d9f8b6c5-x2k4q", "-c", "nope", "--print"); code != exitUsage || !strings.Contains(errOut, `no container "nope" (it has envoy, app)`) {
		t.Errorf("-c nope: %d %s", code, errOut)
	}
}
