//go:build e2e

package framework

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/probe/ststest/ekswebhook"
)

// associations are the run's EKS Pod Identity associations as EKS's
// webhook reads them at pod creation; the agent (EKS Auth) holds its own
// copy, so a test can delete one side only.
type associations struct {
	mu    sync.Mutex
	roles map[string]string
}

func (a *associations) get(namespace, serviceAccount string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	role, ok := a.roles[namespace+"/"+serviceAccount]
	return role, ok
}

// AssociatePodIdentity creates an EKS Pod Identity association: the
// webhook injects its env into new pods, and the agent answers for it.
func (e *Env) AssociatePodIdentity(namespace, serviceAccount, roleARN string) {
	e.assoc.mu.Lock()
	e.assoc.roles[namespace+"/"+serviceAccount] = roleARN
	e.assoc.mu.Unlock()
	e.Agent.Associate(namespace, serviceAccount, roleARN)
}

// DisassociatePodIdentity deletes it from both.
func (e *Env) DisassociatePodIdentity(namespace, serviceAccount string) {
	e.assoc.mu.Lock()
	delete(e.assoc.roles, namespace+"/"+serviceAccount)
	e.assoc.mu.Unlock()
	e.Agent.Disassociate(namespace, serviceAccount)
}

// InjectedEnv is what the harness adds to every container of its pods, so
// nothing reaches an AWS address: STS and the issuer's CA on the loopback,
// instance metadata off.
func (e *Env) InjectedEnv() []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "AWS_ENDPOINT_URL_STS", Value: e.STS.URL},
		{Name: "AWS_EC2_METADATA_DISABLED", Value: "true"},
		{Name: "AWS_CA_BUNDLE", Value: CAMountPath + "/" + caBundleFile},
	}
}

// serviceAccount reads a service account from the API server, as EKS's
// webhook reads its informer cache.
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

// eksWebhook is EKS's pod identity webhook, as probe/ststest writes it
// down, wired to this cluster and the agent on 127.0.0.1. Its Env is
// InjectedEnv: the harness's own mutation adds the same to the pods of its
// namespaces, this covers pods elsewhere.
func (e *Env) eksWebhook() *ekswebhook.EKSWebhook {
	return &ekswebhook.EKSWebhook{
		Region:                 e.Region,
		ServiceAccount:         e.serviceAccount,
		PodIdentityAssociation: e.assoc.get,
		AgentURI:               e.Agent.URL,
		Env:                    e.InjectedEnv(),
	}
}

// EKSWebhookConfiguration names the MutatingWebhookConfiguration of EKS's
// webhook double, as EKS names its own.
const EKSWebhookConfiguration = "pod-identity-webhook"

// eksWebhookConfiguration is the webhook's registration, as JSON for kubectl.
func (e *Env) eksWebhookConfiguration(w *ekswebhook.EKSWebhook, url string, caBundle []byte) (string, error) {
	conf := w.Configuration(EKSWebhookConfiguration, url, caBundle)
	conf.APIVersion, conf.Kind = "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"
	b, err := json.Marshal(conf)
	return string(b), err
}
