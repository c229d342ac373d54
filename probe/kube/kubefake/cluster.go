package kubefake

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Cluster builds the fake cluster's listings as the API server prints
// them: full objects (uids, owner references, projected volumes, status),
// so sizes are realistic and the tests decode every one strictly into
// k8s.io/api's types.
type Cluster struct {
	namespaces []string
	sas        []string // JSON objects
	pods       []string
}

// Namespace adds a namespace.
func (c *Cluster) Namespace(name string) { c.NamespaceLabeled(name, nil) }

// NamespaceLabeled adds a namespace with labels besides its name's.
func (c *Cluster) NamespaceLabeled(name string, labels map[string]string) {
	l := map[string]string{"kubernetes.io/metadata.name": name}
	maps.Copy(l, labels)
	lj, _ := json.Marshal(l)
	c.namespaces = append(c.namespaces, fmt.Sprintf(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":%q,"uid":"6f1c3a52-%04x-4b7e-9d2a-0242ac120002","resourceVersion":"4711","creationTimestamp":"2026-11-01T08:00:00Z","labels":%s},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`, name, len(c.namespaces), lj))
}

// SA adds a service account; role "" leaves it unannotated.
func (c *Cluster) SA(ns, name, role string) {
	ann := ""
	if role != "" {
		ann = fmt.Sprintf(`,"annotations":{"eks.amazonaws.com/role-arn":%q,"eks.amazonaws.com/sts-regional-endpoints":"true"}`, role)
	}
	c.sas = append(c.sas, fmt.Sprintf(`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":%q,"namespace":%q,"uid":"0a6d8c1e-%04x-4f5b-8a1e-0242ac120002","resourceVersion":"5123","creationTimestamp":"2026-11-01T08:00:00Z"%s}}`, name, ns, len(c.sas), ann))
}

// Pod adds a running pod of Deployment deploy with the env the webhook
// injects for mech (irsa with role, pod-identity, both or none).
func (c *Cluster) Pod(ns, deploy, sa, mech, role string) string {
	hash := "7d9f8b6c5"
	name := fmt.Sprintf("%s-%s-%05d", deploy, hash, len(c.pods))
	env := `{"name":"LOG_LEVEL","value":"info"}`
	mounts := `{"name":"kube-api-access-x2k4q","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}`
	vols := `{"name":"kube-api-access-x2k4q","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}],"defaultMode":420}}`
	if mech == "irsa" || mech == "both" {
		env += fmt.Sprintf(`,{"name":"AWS_STS_REGIONAL_ENDPOINTS","value":"regional"},{"name":"AWS_DEFAULT_REGION","value":"us-west-2"},{"name":"AWS_REGION","value":"us-west-2"},{"name":"AWS_ROLE_ARN","value":%q},{"name":"AWS_WEB_IDENTITY_TOKEN_FILE","value":"/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}`, role)
		mounts += `,{"name":"aws-iam-token","readOnly":true,"mountPath":"/var/run/secrets/eks.amazonaws.com/serviceaccount"}`
		vols += `,{"name":"aws-iam-token","projected":{"sources":[{"serviceAccountToken":{"audience":"sts.amazonaws.com","expirationSeconds":86400,"path":"token"}}],"defaultMode":420}}`
	}
	if mech == "pod-identity" || mech == "both" {
		env += `,{"name":"AWS_STS_REGIONAL_ENDPOINTS","value":"regional"},{"name":"AWS_DEFAULT_REGION","value":"us-west-2"},{"name":"AWS_REGION","value":"us-west-2"},{"name":"AWS_CONTAINER_CREDENTIALS_FULL_URI","value":"http://169.254.170.23/v1/credentials"},{"name":"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE","value":"/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"}`
		mounts += `,{"name":"eks-pod-identity-token","readOnly":true,"mountPath":"/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"}`
		vols += `,{"name":"eks-pod-identity-token","projected":{"sources":[{"serviceAccountToken":{"audience":"pods.eks.amazonaws.com","expirationSeconds":86400,"path":"eks-pod-identity-token"}}],"defaultMode":420}}`
	}
	c.pods = append(c.pods, fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"generateName":"%s-%s-","namespace":%q,"uid":"9b2f7e4a-%04x-4c1d-b3a5-0242ac120002","resourceVersion":"81234","creationTimestamp":"2026-12-01T10:00:00Z","labels":{"app":%q,"pod-template-hash":%q},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"%s-%s","uid":"1e2d3c4b-0000-4a5b-8c7d-0242ac120002","controller":true,"blockOwnerDeletion":true}]},`+
		`"spec":{"volumes":[%s],"containers":[{"name":"app","image":"registry.example.com/%s:1.4.2","ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[%s],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},"volumeMounts":[%s],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","securityContext":{"runAsUser":1000,"runAsNonRoot":true,"allowPrivilegeEscalation":false}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":%q,"serviceAccount":%q,"nodeName":"ip-10-0-1-23.us-west-2.compute.internal","securityContext":{"runAsGroup":3000,"fsGroup":3000},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},`+
		`"status":{"phase":"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-12-01T10:00:03Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-12-01T10:00:01Z"},{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-12-01T10:00:05Z"},{"type":"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-12-01T10:00:05Z"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-12-01T10:00:00Z"}],"hostIP":"10.0.1.23","podIP":"10.0.1.57","podIPs":[{"ip":"10.0.1.57"}],"startTime":"2026-12-01T10:00:00Z","containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-12-01T10:00:04Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"registry.example.com/%s:1.4.2","imageID":"registry.example.com/%s@sha256:4f8e6c2a9b1d3e5f7a8c0b2d4e6f8a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f","containerID":"containerd://8c1f3e5a7b9d","started":true}],"qosClass":"Burstable"}}`,
		name, deploy, hash, ns, len(c.pods), deploy, hash, deploy, hash, vols, deploy, env, mounts, sa, sa, deploy, deploy))
	return name
}

// ListJSON is a List of items, as kubectl get prints it.
func ListJSON(items []string) string {
	return `{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[` + strings.Join(items, ",") + "]}\n"
}

// Write writes the listings into dir.
func (c *Cluster) Write(t testing.TB, dir string) {
	t.Helper()
	for name, items := range map[string][]string{"namespaces": c.namespaces, "serviceaccounts": c.sas, "pods": c.pods} {
		if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(ListJSON(items)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Objects are the cluster's namespaces, service accounts and pods, each
// as the API server prints it.
func (c *Cluster) Objects() (namespaces, serviceAccounts, pods []string) {
	return c.namespaces, c.sas, c.pods
}

// AgentPod adds a running pod of the eks-pod-identity-agent DaemonSet in
// kube-system on node.
func (c *Cluster) AgentPod(node string) string {
	name := fmt.Sprintf("eks-pod-identity-agent-%05d", len(c.pods))
	c.pods = append(c.pods, fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"generateName":"eks-pod-identity-agent-","namespace":"kube-system","uid":"3c4d5e6f-%04x-4a1b-9c2d-0242ac120002","labels":{"app.kubernetes.io/name":"eks-pod-identity-agent","app.kubernetes.io/instance":"eks-pod-identity-agent"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"DaemonSet","name":"eks-pod-identity-agent","uid":"5e6f7a8b-0000-4c3d-8e9f-0242ac120002","controller":true,"blockOwnerDeletion":true}]},`+
		`"spec":{"hostNetwork":true,"containers":[{"name":"eks-pod-identity-agent","image":"602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/eks-pod-identity-agent:0.1.29","ports":[{"containerPort":80,"hostPort":80,"protocol":"TCP"}]}],"serviceAccountName":"default","nodeName":%q},`+
		`"status":{"phase":"Running"}}`, name, len(c.pods), node))
	return name
}

// Node is the node every pod of Pod runs on.
const Node = "ip-10-0-1-23.us-west-2.compute.internal"

// NodesJSON is `kubectl get nodes -o json` for Node with labels.
func NodesJSON(labels map[string]string) string {
	l, _ := json.Marshal(labels)
	return ListJSON([]string{fmt.Sprintf(`{"apiVersion":"v1","kind":"Node","metadata":{"name":%q,"uid":"7a8b9c0d-0000-4e1f-8a2b-0242ac120002","labels":%s},"status":{"nodeInfo":{"operatingSystem":"linux","architecture":"amd64"}}}`, Node, l)})
}
