package deploy_test

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/cli"
	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/serve"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The released image the manifests pin: the repository's VERSION
// (version_test.go).
var wantImage = imageRepo + ":" + version

const probeContainer = "irsa-probe"

// mode is how a manifest runs irsa-probe.
type mode int

const (
	initCheck      mode = iota // init container running check
	nativeSidecar              // init container, restartPolicy Always, running serve
	classicSidecar             // regular container running serve; the app's readinessProbe on it
	ownReadiness               // classicSidecar leaving the app's readinessProbe alone
	jobCheck                   // a Job's only container running check
)

func (m mode) command() string {
	if m == nativeSidecar || m == classicSidecar || m == ownReadiness {
		return cli.CmdServe
	}
	return cli.CmdCheck
}

func (m mode) serves() bool { return m.command() == cli.CmdServe }

// downwardEnv is what the diagnosis takes from the downward API.
var downwardEnv = map[string]string{
	"IRSA_PROBE_POD_NAMESPACE":   "metadata.namespace",
	"IRSA_PROBE_POD_NAME":        "metadata.name",
	"IRSA_PROBE_SERVICE_ACCOUNT": "spec.serviceAccountName",
}

// checkContainer lists what is wrong with the irsa-probe container of a
// manifest, before any webhook has touched it.
func checkContainer(c *corev1.Container, m mode) []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }

	if c.Image != wantImage {
		bad("image %q, want %q", c.Image, wantImage)
	}
	// The entrypoint is the binary; a command would have to be it.
	if len(c.Command) > 0 && !slices.Equal(c.Command, []string{"/irsa-probe"}) {
		bad("command %q overrides the /irsa-probe entrypoint", c.Command)
	}
	switch {
	case len(c.Args) == 0:
		bad("no args: want [%s]", m.command())
	case !slices.Contains(cli.CommandNames(), c.Args[0]):
		bad("args[0] %q is not a command of the binary %v", c.Args[0], cli.CommandNames())
	case c.Args[0] != m.command() || len(c.Args) != 1:
		bad("args %q, want [%s]", c.Args, m.command())
	}
	errs = append(errs, checkEnv(c)...)
	errs = append(errs, checkHardening(c)...)
	errs = append(errs, checkResources(c)...)
	if c.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
		bad("terminationMessagePolicy %q, want FallbackToLogsOnError", c.TerminationMessagePolicy)
	}
	// The token comes from the webhook's mount; a mount of the manifest's
	// own could only shadow or duplicate it.
	if len(c.VolumeMounts) > 0 {
		bad("volumeMounts %v: the probe needs none", c.VolumeMounts)
	}
	wantRestart := (*corev1.ContainerRestartPolicy)(nil)
	if m == nativeSidecar {
		wantRestart = ptr(corev1.ContainerRestartPolicyAlways)
	}
	if !equalPtr(c.RestartPolicy, wantRestart) {
		bad("restartPolicy %v, want %v", deref(c.RestartPolicy), deref(wantRestart))
	}
	if m.serves() {
		errs = append(errs, checkServe(c, m)...)
	} else if len(c.Ports) > 0 || c.StartupProbe != nil || c.ReadinessProbe != nil || c.LivenessProbe != nil {
		// check exits: nothing listens, and the API rejects probes on
		// init containers that are not sidecars.
		bad("check runs once: no ports or probes, got ports %v", c.Ports)
	}
	return errs
}

// checkEnv: only variables the binary reads, none of the webhook's, and the
// downward API where the diagnosis uses it.
func checkEnv(c *corev1.Container) []string {
	var errs []string
	if len(c.EnvFrom) > 0 {
		errs = append(errs, "envFrom could inject variables (AWS_* included) nobody reviewed")
	}
	seen := map[string]bool{}
	for _, e := range c.Env {
		switch {
		case seen[e.Name]:
			errs = append(errs, "env "+e.Name+" set twice")
		case strings.HasPrefix(e.Name, "AWS_"):
			errs = append(errs, "env "+e.Name+" is the pod identity webhook's to set: it skips containers that set it")
		case !slices.Contains(config.EnvNames(), e.Name):
			errs = append(errs, "env "+e.Name+" is not read by the binary")
		}
		seen[e.Name] = true
	}
	for name, path := range downwardEnv {
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
		if i < 0 {
			errs = append(errs, "env "+name+" missing (downward API "+path+")")
			continue
		}
		if vf := c.Env[i].ValueFrom; vf == nil || vf.FieldRef == nil || vf.FieldRef.FieldPath != path || c.Env[i].Value != "" {
			errs = append(errs, "env "+name+" must come from the downward API field "+path)
		}
	}
	return errs
}

// checkHardening: the restricted Pod Security profile and more, per
// container, so it holds whatever the pod-level securityContext says.
func checkHardening(c *corev1.Container) []string {
	sc := c.SecurityContext
	if sc == nil {
		return []string{"no securityContext"}
	}
	var errs []string
	want := func(ok bool, what string) {
		if !ok {
			errs = append(errs, "securityContext: want "+what)
		}
	}
	want(sc.RunAsNonRoot != nil && *sc.RunAsNonRoot, "runAsNonRoot: true")
	want(sc.RunAsUser != nil && *sc.RunAsUser == 65532, "runAsUser: 65532")
	want(sc.RunAsGroup != nil && *sc.RunAsGroup == 65532, "runAsGroup: 65532")
	want(sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem, "readOnlyRootFilesystem: true")
	want(sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation, "allowPrivilegeEscalation: false")
	want(sc.Privileged == nil || !*sc.Privileged, "not privileged")
	want(sc.Capabilities != nil && slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0, "capabilities: drop [ALL], add none")
	want(sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault, "seccompProfile: RuntimeDefault")
	return errs
}

// checkResources: sized from the measured figures (serve peaks at 18.4Mi
// resident, near-zero CPU; check well under a second of CPU). No CPU limit,
// by choice: throttling only stretches a check towards its timeout.
func checkResources(c *corev1.Container) []string {
	var errs []string
	r := c.Resources
	for _, q := range []struct {
		what string
		list corev1.ResourceList
		name corev1.ResourceName
		want string
	}{
		{"requests", r.Requests, corev1.ResourceCPU, "10m"},
		{"requests", r.Requests, corev1.ResourceMemory, "16Mi"},
		{"limits", r.Limits, corev1.ResourceMemory, "32Mi"},
	} {
		got, ok := q.list[q.name]
		if !ok || got.Cmp(resource.MustParse(q.want)) != 0 {
			errs = append(errs, fmt.Sprintf("resources.%s.%s = %s, want %s", q.what, q.name, got.String(), q.want))
		}
	}
	if len(r.Requests) != 2 || len(r.Limits) != 1 {
		errs = append(errs, fmt.Sprintf("resources %v: want requests cpu+memory, limits memory only", r))
	}
	return errs
}

// listenPort is the port serve listens on: IRSA_PROBE_LISTEN if the manifest
// sets it, else the binary's default.
func listenPort(c *corev1.Container) (int32, error) {
	addr := config.DefaultListen
	for _, e := range c.Env {
		if e.Name == "IRSA_PROBE_LISTEN" {
			addr = e.Value
		}
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(p, 10, 32)
	return int32(n), err
}

// checkServe: the port is where serve listens, and every probe asks serve a
// path it answers, with the right meaning.
func checkServe(c *corev1.Container, m mode) []string {
	var errs []string
	port, err := listenPort(c)
	if err != nil {
		return []string{"IRSA_PROBE_LISTEN: " + err.Error()}
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != port || (c.Ports[0].Protocol != "" && c.Ports[0].Protocol != corev1.ProtocolTCP) {
		errs = append(errs, fmt.Sprintf("ports %v, want one TCP port %d (IRSA_PROBE_LISTEN)", c.Ports, port))
	}
	readiness := []string{serve.PathHealthz, serve.PathReadyz}
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		paths []string
		need  bool
	}{
		{"startupProbe", c.StartupProbe, readiness, m == nativeSidecar},
		{"readinessProbe", c.ReadinessProbe, readiness, true},
		// Never a path that fails on IAM: a broken role must make the pod
		// unready, not restart the sidecar in a loop.
		{"livenessProbe", c.LivenessProbe, []string{serve.PathLivez}, true},
	} {
		if p.probe == nil {
			if p.need {
				errs = append(errs, p.kind+" missing")
			}
			continue
		}
		errs = append(errs, checkProbe(p.kind, p.probe, c, port, p.paths)...)
	}
	return errs
}

// checkProbe checks an httpGet probe reaches serve at port on one of paths;
// owner is the container the probe belongs to, whose ports a named port is
// looked up in.
func checkProbe(kind string, p *corev1.Probe, owner *corev1.Container, port int32, paths []string) []string {
	h := p.HTTPGet
	if h == nil {
		return []string{kind + ": want httpGet"}
	}
	var errs []string
	if !slices.Contains(serve.Paths(), h.Path) {
		errs = append(errs, fmt.Sprintf("%s path %q: serve answers only %v", kind, h.Path, serve.Paths()))
	} else if !slices.Contains(paths, h.Path) {
		errs = append(errs, fmt.Sprintf("%s path %q, want one of %v", kind, h.Path, paths))
	}
	if got, ok := resolvePort(h.Port, owner); !ok || got != port {
		errs = append(errs, fmt.Sprintf("%s port %s is not serve's %d", kind, h.Port.String(), port))
	}
	if h.Scheme != "" && h.Scheme != corev1.URISchemeHTTP {
		errs = append(errs, kind+": serve speaks plain HTTP")
	}
	return errs
}

// resolvePort resolves a probe port as the kubelet does: a name is looked up
// in the probed container's own ports.
func resolvePort(p intstr.IntOrString, owner *corev1.Container) (int32, bool) {
	if p.Type == intstr.Int {
		return p.IntVal, true
	}
	for _, cp := range owner.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

// checkPod checks where the container sits in the pod and what the pod
// around it must (not) do.
func checkPod(tpl *corev1.PodTemplateSpec, m mode) []string {
	var errs []string
	spec := &tpl.Spec
	names := map[string]bool{}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		if names[c.Name] {
			errs = append(errs, "container name "+c.Name+" used twice (two irsa-probe components?)")
		}
		names[c.Name] = true
	}
	if spec.ServiceAccountName == "" {
		errs = append(errs, "no serviceAccountName: the default service account is rarely the annotated one")
	}
	if containersToSkip(tpl.Annotations)[probeContainer] {
		errs = append(errs, skipContainersAnnotation+" lists irsa-probe: the webhook would not give it the token")
	}
	if _, ok := tpl.Labels[skipPodLabel]; ok {
		errs = append(errs, skipPodLabel+" label: the webhook would not mutate the pod")
	}
	idx := func(cs []corev1.Container) int {
		return slices.IndexFunc(cs, func(c corev1.Container) bool { return c.Name == probeContainer })
	}
	switch m {
	case initCheck, nativeSidecar:
		// First, so it runs (or is up) before any init container needing AWS.
		if idx(spec.InitContainers) != 0 {
			errs = append(errs, "irsa-probe is not the first init container")
		}
	case classicSidecar, ownReadiness:
		// Not first: kubectl logs/exec default to the first container, the app.
		if idx(spec.Containers) < 1 {
			errs = append(errs, "irsa-probe must be a container after the app")
			break
		}
		if m == ownReadiness {
			break
		}
		port, _ := listenPort(&spec.Containers[idx(spec.Containers)])
		app := &spec.Containers[0]
		if app.ReadinessProbe == nil {
			errs = append(errs, "app container "+app.Name+" has no readinessProbe on the sidecar")
		} else if h := app.ReadinessProbe.HTTPGet; h != nil && h.Port.Type == intstr.String {
			errs = append(errs, "app readinessProbe uses port name "+h.Port.StrVal+": it resolves in the app's ports, use the number")
		} else {
			errs = append(errs, checkProbe("app readinessProbe", app.ReadinessProbe, app, port, []string{serve.PathHealthz, serve.PathReadyz})...)
		}
	case jobCheck:
		if len(spec.Containers) != 1 || idx(spec.Containers) != 0 {
			errs = append(errs, "the Job's pod must run irsa-probe alone")
		}
	}
	return errs
}

func equalPtr[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
