package deploy_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// restrictedEvaluator is Pod Security admission's own policy code, the
// checks kube-apiserver's PodSecurity plugin runs.
var restrictedEvaluator = func() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		panic(err)
	}
	return e
}()

// forbiddenInRestricted is what Pod Security's restricted level (latest
// version) forbids in a pod, "" when it admits it.
func forbiddenInRestricted(tpl *corev1.PodTemplateSpec) string {
	lv := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	r := policy.AggregateCheckResults(restrictedEvaluator.EvaluatePod(lv, &tpl.ObjectMeta, &tpl.Spec))
	if r.Allowed {
		return ""
	}
	var out []string
	for i, reason := range r.ForbiddenReasons {
		out = append(out, fmt.Sprintf("%s (%s)", reason, r.ForbiddenDetails[i]))
	}
	return strings.Join(out, "; ")
}

// TestExamplesPassRestricted: every example's pods, as the webhook makes
// them, are admitted by Pod Security's restricted level, so each container
// (the application's too) can be copied into such a namespace; and the
// application's ports are unprivileged, as a non-root process without
// capabilities binds only those on every runtime.
func TestExamplesPassRestricted(t *testing.T) {
	for _, tg := range targets {
		if !strings.HasPrefix(tg.dir, "../examples/") {
			continue
		}
		objs := render(t, tg.dir)
		for _, o := range objs {
			tpl, ok := podTemplate(o)
			if !ok {
				continue
			}
			t.Run(tg.dir+"/"+o.Kind+"/"+o.Name, func(t *testing.T) {
				tpl = tpl.DeepCopy()
				var sa *corev1.ServiceAccount
				if s, ok := find(objs, "ServiceAccount", tpl.Spec.ServiceAccountName); ok {
					sa = s.Obj.(*corev1.ServiceAccount)
				}
				webhookMutate(nil, tpl, sa)
				if why := forbiddenInRestricted(tpl); why != "" {
					t.Errorf("Pod Security restricted forbids: %s", why)
				}
				for _, c := range append(tpl.Spec.InitContainers, tpl.Spec.Containers...) {
					for _, p := range c.Ports {
						if p.ContainerPort < 1024 {
							t.Errorf("container %s: port %d needs root or NET_BIND_SERVICE", c.Name, p.ContainerPort)
						}
					}
				}
			})
		}
	}
}

// TestRestrictedVerdicts: the evaluator is the real one: what restricted
// forbids is reported, container by container.
func TestRestrictedVerdicts(t *testing.T) {
	hardened := func() *corev1.PodTemplateSpec {
		f := false
		tr := true
		return &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot: &tr, AllowPrivilegeEscalation: &f, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}}}}}
	}
	for _, tc := range []struct {
		name  string
		spoil func(*corev1.PodTemplateSpec)
		want  string
	}{
		{"hardened", func(*corev1.PodTemplateSpec) {}, ""},
		{"no securityContext (the examples' nginx before)", func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].SecurityContext = nil },
			`allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)`},
		{"root", func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].SecurityContext.RunAsUser = new(int64) }, "runAsUser=0"},
		{"a capability", func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE", "SYS_PTRACE"}
		}, `unrestricted capabilities (container "app" must not include "SYS_PTRACE" in securityContext.capabilities.add)`},
		{"host network", func(p *corev1.PodTemplateSpec) { p.Spec.HostNetwork = true }, "host namespaces (hostNetwork=true)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := hardened()
			tc.spoil(p)
			got := forbiddenInRestricted(p)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("forbidden: %q, want %q", got, tc.want)
			}
		})
	}
}
