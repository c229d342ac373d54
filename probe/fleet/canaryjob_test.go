package fleet

import (
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
)

// TestCanaryJobIsABatchJob: the canary decodes strictly as batch/v1 and
// meets Pod Security restricted.
func TestCanaryJobIsABatchJob(t *testing.T) {
	id := &Identity{Namespace: "payments", ServiceAccount: "billing-api", RoleARN: roleA}
	var j batchv1.Job
	kubefake.Strict(t, CanaryJob(id, CanaryOptions{RunID: "a1b2c3", Image: "ghcr.io/irsa-probe/irsa-probe:v0.1.0", Timeout: 2 * time.Minute, TTL: 10 * time.Minute}), &j)
	ps := j.Spec.Template.Spec
	c := ps.Containers[0]
	kubefake.Restricted(t, c.SecurityContext)
	if *j.Spec.ActiveDeadlineSeconds != 120 || *j.Spec.TTLSecondsAfterFinished != 600 || *j.Spec.BackoffLimit != 0 || ps.ServiceAccountName != "billing-api" ||
		ps.RestartPolicy != "Never" || j.Labels[LabelRun] != "a1b2c3" || j.Spec.Template.Labels[LabelRun] != "a1b2c3" ||
		c.Resources.Requests.Cpu().String() != "10m" || c.Resources.Limits.Memory().String() != "64Mi" {
		t.Errorf("job: %+v", j)
	}
	if got := strings.Join(c.Args, " "); got != "check --output=json --termination-log= --timeout=30s --expect-service-account=payments:billing-api --expect-role-arn="+roleA {
		t.Errorf("args: %s", got)
	}
}

// TestCanaryPodSpec: --canary-pod-spec places the canaries (a node pool,
// a RuntimeClass, the host network of a cluster without a pod network)
// and may not change who they run as.
func TestCanaryPodSpec(t *testing.T) {
	spec, err := ParsePodSpec([]byte(`{"nodeSelector": {"pool": "apps"}, "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "apps", "effect": "NoSchedule"}], "runtimeClassName": "hostnet", "hostNetwork": true}`))
	if err != nil {
		t.Fatal(err)
	}
	id := &Identity{Namespace: "payments", ServiceAccount: "billing-api", RoleARN: roleA}
	var j batchv1.Job
	kubefake.Strict(t, CanaryJob(id, CanaryOptions{RunID: "a1b2c3", Image: "i", Timeout: time.Minute, PodSpec: spec}), &j)
	ps := j.Spec.Template.Spec
	if ps.NodeSelector["pool"] != "apps" || len(ps.Tolerations) != 1 || *ps.RuntimeClassName != "hostnet" || !ps.HostNetwork || ps.ServiceAccountName != "billing-api" {
		t.Errorf("%+v", ps)
	}
	for _, bad := range []string{`{"serviceAccountName": "admin"}`, `{"securityContext": {"runAsUser": 0}}`, `[]`} {
		if _, err := ParsePodSpec([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
