//go:build e2e

package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// Pods lists the namespace's pods matching the label selector; nil if
// kubectl fails.
func (ns *NS) Pods(selector string) []corev1.Pod {
	return ns.pods("-l", selector)
}

// PodsByField lists the namespace's pods matching the field selector.
func (ns *NS) PodsByField(selector string) []corev1.Pod {
	return ns.pods("--field-selector", selector)
}

func (ns *NS) pods(args ...string) []corev1.Pod {
	out, err := ns.env.Kubectl.Run(context.Background(), append([]string{"get", "pods", "-n", ns.Name, "-o", "json"}, args...)...)
	if err != nil {
		return nil
	}
	var list corev1.PodList
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil
	}
	return list.Items
}

// WaitPod waits until a pod matching selector satisfies cond (which says
// what is missing, or "" when satisfied) and returns it.
func (ns *NS) WaitPod(selector string, timeout time.Duration, cond func(*corev1.Pod) string) corev1.Pod {
	ns.t.Helper()
	var found corev1.Pod
	ns.WaitFor("pod "+selector, timeout, func() string {
		pods := ns.Pods(selector)
		if len(pods) == 0 {
			return "no pod yet"
		}
		var why []string
		for _, p := range pods {
			if p.DeletionTimestamp != nil {
				continue
			}
			if bad := stuck(&p); bad != "" {
				ns.t.Fatalf("pod %s cannot start: %s %s", p.Name, bad, PodSummary(&p))
			}
			w := cond(&p)
			if w == "" {
				found = p
				return ""
			}
			why = append(why, p.Name+": "+w)
		}
		return strings.Join(why, "; ")
	})
	return found
}

// stuck names a container state no wait will change: an image that is not
// on the node (there is no registry) or a config the kubelet refuses.
func stuck(p *corev1.Pod) string {
	for _, group := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, s := range group {
			if w := s.State.Waiting; w != nil {
				switch w.Reason {
				case "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "CreateContainerConfigError", "InvalidImageName":
					return s.Name + ": " + w.Reason + ": " + w.Message
				}
			}
		}
	}
	return ""
}

// PodReady is satisfied by a Running pod whose Ready condition is True.
func PodReady(p *corev1.Pod) string {
	if p.Status.Phase != corev1.PodRunning {
		return "phase " + string(p.Status.Phase) + " " + PodSummary(p)
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return ""
		}
	}
	return "not Ready " + PodSummary(p)
}

// PodNotReady is satisfied by a Running pod whose Ready condition is False.
func PodNotReady(p *corev1.Pod) string {
	if PodReady(p) == "" {
		return "Ready"
	}
	if p.Status.Phase != corev1.PodRunning {
		return "phase " + string(p.Status.Phase)
	}
	return ""
}

// PodSummary is the pod's containers' states, as kubectl get pods shows them.
func PodSummary(p *corev1.Pod) string {
	var parts []string
	for _, group := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, s := range group {
			st := "?"
			switch {
			case s.State.Running != nil:
				st = "running"
			case s.State.Waiting != nil:
				st = "waiting " + s.State.Waiting.Reason
			case s.State.Terminated != nil:
				st = fmt.Sprintf("terminated %s exit %d", s.State.Terminated.Reason, s.State.Terminated.ExitCode)
			}
			parts = append(parts, fmt.Sprintf("%s=%s(restarts %d, ready %v)", s.Name, st, s.RestartCount, s.Ready))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Status is the named container's status (init or not), nil if absent.
func Status(p *corev1.Pod, container string) *corev1.ContainerStatus {
	for _, group := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses, p.Status.EphemeralContainerStatuses} {
		for i := range group {
			if group[i].Name == container {
				return &group[i]
			}
		}
	}
	return nil
}

// RoleARN is the role of the examples' service account.
func (e *Env) RoleARN(name string) string {
	return "arn:aws:iam::" + e.Account + ":role/" + name
}

// TrustRole creates (or replaces) role in STS, trusting the cluster's
// issuer for namespace/serviceAccount and, with podIdentity, EKS Pod
// Identity; deleted when the test ends.
func (e *Env) TrustRole(t testing.TB, role, namespace, serviceAccount string, podIdentity bool) {
	t.Helper()
	statements := []ststest.TrustStatement{ststest.TrustStatementFor("aws", e.Account, e.Issuer.URL, namespace, serviceAccount)}
	if podIdentity {
		statements = append(statements, ststest.PodIdentityTrustStatements()...)
	}
	if err := e.STS.PutRole(role, ststest.TrustPolicy(statements...)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.STS.DeleteRole(role) })
}
