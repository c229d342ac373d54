//go:build e2e

package framework

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// TEMPORARY stand-in for probe/ststest's EKS webhook double (issue 19's
// other half): replaced by it once merged.

// podIdentity holds the run's Pod Identity associations, which the
// webhook reads at pod creation as EKS's does.
type podIdentity struct {
	mu    sync.Mutex
	roles map[string]string
}

var associations = &podIdentity{roles: map[string]string{}}

// AssociatePodIdentity creates a Pod Identity association (webhook and
// agent); DisassociatePodIdentity deletes it.
func (e *Env) AssociatePodIdentity(namespace, serviceAccount, roleARN string) {
	associations.mu.Lock()
	associations.roles[namespace+"/"+serviceAccount] = roleARN
	associations.mu.Unlock()
	e.Agent.Associate(namespace, serviceAccount, roleARN)
}

// DisassociatePodIdentity deletes the association from the agent (pods
// already mutated keep their env, as on EKS).
func (e *Env) DisassociatePodIdentity(namespace, serviceAccount string) {
	associations.mu.Lock()
	delete(associations.roles, namespace+"/"+serviceAccount)
	associations.mu.Unlock()
	e.Agent.Disassociate(namespace, serviceAccount)
}

// InjectedEnv is what the harness adds next to the webhook's identity env,
// so nothing reaches an AWS address.
func (e *Env) InjectedEnv() []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "AWS_ENDPOINT_URL_STS", Value: e.STS.URL},
		{Name: "AWS_EC2_METADATA_DISABLED", Value: "true"},
		{Name: "AWS_CA_BUNDLE", Value: CAMountPath + "/" + caBundleFile},
	}
}

func (e *Env) serviceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	client, err := e.Cluster.adminHTTP()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://127.0.0.1:6443/api/v1/namespaces/"+ns+"/serviceaccounts/"+name, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	var sa corev1.ServiceAccount
	return &sa, json.NewDecoder(resp.Body).Decode(&sa)
}

func (e *Env) eksWebhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveMutation(w, r, func(ns string, pod *corev1.Pod) {
			name := pod.Spec.ServiceAccountName
			if name == "" {
				name = "default"
			}
			sa, err := e.serviceAccount(r.Context(), ns, name)
			if err != nil || sa == nil {
				return
			}
			associations.mu.Lock()
			_, pi := associations.roles[ns+"/"+name]
			associations.mu.Unlock()
			role := sa.Annotations["eks.amazonaws.com/role-arn"]
			switch {
			case pi:
				e.mutate(pod, "eks-pod-identity-token", "pods.eks.amazonaws.com", "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount", "eks-pod-identity-token",
					[]corev1.EnvVar{
						{Name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", Value: e.Agent.URL},
						{Name: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", Value: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"},
					})
			case role != "":
				e.mutate(pod, "aws-iam-token", "sts.amazonaws.com", "/var/run/secrets/eks.amazonaws.com/serviceaccount", "token",
					[]corev1.EnvVar{
						{Name: "AWS_ROLE_ARN", Value: role},
						{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
					})
			}
		})
	})
}

func (e *Env) mutate(pod *corev1.Pod, volume, audience, dir, file string, identity []corev1.EnvVar) {
	for _, v := range pod.Spec.Volumes {
		if v.Name == volume {
			return // reinvoked
		}
	}
	exp := int64(86400)
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
			ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: audience, ExpirationSeconds: &exp, Path: file},
		}}},
	}})
	env := append([]corev1.EnvVar{
		{Name: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"},
		{Name: "AWS_DEFAULT_REGION", Value: e.Region},
		{Name: "AWS_REGION", Value: e.Region},
	}, identity...)
	add := func(c *corev1.Container) {
		for _, v := range c.Env {
			if v.Name == identity[0].Name || v.Name == identity[1].Name {
				return
			}
		}
		c.Env = append(c.Env, env...)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: volume, MountPath: dir, ReadOnly: true})
	}
	for i := range pod.Spec.InitContainers {
		add(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i])
	}
}

func (e *Env) eksWebhookConfiguration(url string, caBundle []byte) (string, error) {
	return fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: pod-identity-webhook
webhooks:
- name: iam-for-pods.amazonaws.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  reinvocationPolicy: IfNeeded
  timeoutSeconds: 10
  clientConfig:
    url: %s
    caBundle: %s
  objectSelector:
    matchExpressions:
    - key: eks.amazonaws.com/skip-pod-identity-webhook
      operator: DoesNotExist
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods]
`, url, base64.StdEncoding.EncodeToString(caBundle)), nil
}
