package ephemeral

import (
	"cmp"
	"encoding/json"
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/hint"
	"github.com/irsa-probe/irsa-probe/probe/kube"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// The debug profiles the plugin uses (kubectl debug --profile).
const (
	profileRestricted = "restricted" // non-root, no capabilities: passes Pod Security "restricted"
	profileBaseline   = "baseline"   // root allowed, no added capabilities
	profileGeneral    = "general"    // adds CAP_SYS_PTRACE: reads any user's process
)

// EnforceLabel is Pod Security admission's level label on a namespace.
const EnforceLabel = "pod-security.kubernetes.io/enforce"

// CustomSpec is the partial container spec given to kubectl debug
// --custom: the security context the ephemeral container runs with, over
// the profile's. Field names and types are core/v1 Container's (the tests
// decode it strictly into k8s.io/api's).
type CustomSpec struct {
	SecurityContext kube.SecurityContext `json:"securityContext"`
}

// Plan is what the plugin will run.
type Plan struct {
	Namespace, Pod, Target, Container, Image, Profile string
	Spec                                              CustomSpec
	// Why says how the user was chosen, for --print and errors.
	Why string
}

// Choice is what the user chose on the command line.
type Choice struct {
	// UID and GID override the pod spec's user and group (-1: not given).
	UID, GID int64
	// Name is the ephemeral container's name; Image the probe's image.
	Name, Image string
}

// probeArgs are the probe's arguments in the ephemeral container (the
// image's entrypoint is irsa-probe): the target container's main process
// is PID 1 of its PID namespace.
var probeArgs = []string{"check", "--target=auto"}

// MakePlan decides the ephemeral container's user and profile: the target
// container's own user, so the probe may read /proc/1 with no capability
// (and passes the restricted level when that user is not root); only when
// the pod spec does not say which user, and Pod Security allows it, the
// general profile's CAP_SYS_PTRACE as root. level is the namespace's Pod
// Security enforce level ("" when unknown or unset).
func MakePlan(p *kube.Pod, c *kube.Container, level string, o Choice) (*Plan, error) {
	uid, gid := runAs(p, c)
	why := "the pod spec's runAsUser"
	if o.UID >= 0 {
		u := o.UID
		uid, why = &u, "--uid"
	}
	if o.GID >= 0 {
		g := o.GID
		gid = &g
	}
	pl := &Plan{Namespace: p.Metadata.Namespace, Pod: p.Metadata.Name, Target: c.Name, Container: o.Name, Image: o.Image}
	no, yes := false, true
	sc := kube.SecurityContext{AllowPrivilegeEscalation: &no, Capabilities: &kube.Capabilities{Drop: []string{"ALL"}}, SeccompProfile: &kube.SeccompProfile{Type: "RuntimeDefault"}}
	switch {
	case uid != nil && *uid != 0:
		if gid == nil {
			// The kernel lets a process read another's /proc/PID/environ
			// without CAP_SYS_PTRACE only if uid AND gid match. Without a
			// runAsGroup the runtime gives the application the group its
			// image's /etc/passwd names for the uid, else 0: 0 is the
			// likely one (--gid when the image lists the user).
			zero := int64(0)
			gid = &zero
		}
		sc.RunAsUser, sc.RunAsGroup, sc.RunAsNonRoot = uid, gid, &yes
		pl.Profile = profileRestricted
		pl.Why = fmt.Sprintf("runs as uid %d, the user of container %s (%s): it reads that container's processes without any capability", *uid, c.Name, why)
	case uid != nil:
		if level == "restricted" {
			return nil, &hint.Error{Code: verdict.ExitUsage, Msg: fmt.Sprintf("container %s runs as root, which Pod Security level %q of namespace %s forbids the probe", c.Name, level, pl.Namespace)}
		}
		zero := int64(0)
		if gid == nil {
			gid = &zero
		}
		sc.RunAsUser, sc.RunAsGroup, sc.RunAsNonRoot = uid, gid, &no
		pl.Profile = profileBaseline
		pl.Why = fmt.Sprintf("runs as root, the user of container %s (%s)", c.Name, why)
	default:
		if level != "" && level != "privileged" {
			return nil, &hint.Error{
				Code: verdict.ExitUsage,
				Msg:  fmt.Sprintf("the pod spec does not say which user container %s runs as (its image's USER decides), and Pod Security level %q of namespace %s forbids CAP_SYS_PTRACE, which reads another user's process", c.Name, level, pl.Namespace),
				Hint: "pass the user the image runs as: --uid=UID [--gid=GID] (kubectl exec " + pl.Pod + " -c " + c.Name + " -- id, or the image's config)",
			}
		}
		zero := int64(0)
		sc.RunAsUser, sc.RunAsNonRoot = &zero, &no
		sc.Capabilities = &kube.Capabilities{Add: []string{"SYS_PTRACE"}, Drop: []string{"ALL"}}
		pl.Profile = profileGeneral
		pl.Why = fmt.Sprintf("runs as root with CAP_SYS_PTRACE (the general profile): the pod spec does not say which user container %s runs as, and Pod Security level %s allows it; --uid=UID avoids the capability", c.Name, cmp.Or(level, "(none)"))
	}
	pl.Spec.SecurityContext = sc
	return pl, nil
}

// SpecJSON is the --custom file's content.
func (pl *Plan) SpecJSON() []byte {
	b, err := json.MarshalIndent(pl.Spec, "", "  ")
	if err != nil {
		panic(err) // plain structs
	}
	return append(b, '\n')
}

// DebugArgs are kubectl debug's arguments, with the spec in customFile.
func (pl *Plan) DebugArgs(customFile string) []string {
	args := []string{"debug", pl.Pod, "--namespace=" + pl.Namespace, "--target=" + pl.Target, "--image=" + pl.Image,
		"--profile=" + pl.Profile, "--custom=" + customFile, "--container=" + pl.Container, "--quiet", "--arguments-only", "--"}
	return append(args, probeArgs...)
}

// LogsArgs follow the ephemeral container's log.
func (pl *Plan) LogsArgs() []string {
	return []string{"logs", pl.Pod, "--namespace=" + pl.Namespace, "--container=" + pl.Container, "--follow"}
}
