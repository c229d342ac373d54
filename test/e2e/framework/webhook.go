//go:build e2e

package framework

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
)

// maxAdmissionBody caps an AdmissionReview: a pod is far smaller.
const maxAdmissionBody = 4 << 20

// serveMutation answers an AdmissionReview for a pod with a JSONPatch that
// replaces its spec by what mutate made of it.
func serveMutation(w http.ResponseWriter, r *http.Request, mutate func(namespace string, pod *corev1.Pod)) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdmissionBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, fmt.Sprintf("not an AdmissionReview: %v", err), http.StatusBadRequest)
		return
	}
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	var pod corev1.Pod
	if err := json.Unmarshal(review.Request.Object.Raw, &pod); err != nil {
		http.Error(w, fmt.Sprintf("not a pod: %v", err), http.StatusBadRequest)
		return
	}
	before, _ := json.Marshal(pod.Spec)
	mutate(review.Request.Namespace, &pod)
	after, err := json.Marshal(pod.Spec)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if string(before) != string(after) {
		patch, _ := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec", "value": json.RawMessage(after)}})
		pt := admissionv1.PatchTypeJSONPatch
		resp.PatchType, resp.Patch = &pt, patch
	}
	review.Response, review.Request = resp, nil
	out, _ := json.Marshal(review)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// serveHarnessMutation puts a pod of a namespace labelled LabelHostNetwork
// on the host network (there is no CNI) under the RuntimeClass the
// PodSecurity configuration exempts, and mounts the emulators' CA into
// every container, with InjectedEnv where the container does not set it:
// no process of the run may reach an AWS address, whether EKS's webhook
// double mutated the pod or not. It is the harness's, not EKS's: docs/end-to-end.md
// says so.
func (e *Env) serveHarnessMutation(w http.ResponseWriter, r *http.Request) {
	safe := e.InjectedEnv()
	serveMutation(w, r, func(_ string, pod *corev1.Pod) {
		spec := &pod.Spec
		spec.HostNetwork = true
		rc := HostNetworkRuntimeClass
		spec.RuntimeClassName = &rc
		// Idempotent: it is reinvoked when a later mutation (a
		// MutatingAdmissionPolicy's container) changed the pod.
		if !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == CAConfigMap }) {
			spec.Volumes = append(spec.Volumes, corev1.Volume{Name: CAConfigMap, VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: CAConfigMap}},
			}})
		}
		mount := corev1.VolumeMount{Name: CAConfigMap, MountPath: CAMountPath, ReadOnly: true}
		add := func(c *corev1.Container) {
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == CAConfigMap }) {
				c.VolumeMounts = append(c.VolumeMounts, mount)
			}
		next:
			for _, v := range safe {
				for _, have := range c.Env {
					if have.Name == v.Name {
						continue next
					}
				}
				c.Env = append(c.Env, v)
			}
		}
		for i := range spec.InitContainers {
			add(&spec.InitContainers[i])
		}
		for i := range spec.Containers {
			add(&spec.Containers[i])
		}
	})
}

// serveUnschedulable gives a pod a nodeSelector no node matches.
func serveUnschedulable(w http.ResponseWriter, r *http.Request) {
	serveMutation(w, r, func(_ string, pod *corev1.Pod) {
		if pod.Spec.NodeSelector == nil {
			pod.Spec.NodeSelector = map[string]string{}
		}
		pod.Spec.NodeSelector[LabelAdmissionOnly] = "no-such-node"
	})
}

// harnessManifests registers the harness's mutation (ordered before EKS's
// double by name, though they touch different fields; reinvoked, so a
// container an admission policy adds after it gets the emulators too) and
// the exempt RuntimeClass.
func harnessManifests(base string, caBundle []byte) string {
	ca := base64.StdEncoding.EncodeToString(caBundle)
	return fmt.Sprintf(`apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: %s
handler: runc
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: 00-irsa-probe-e2e-harness
webhooks:
- name: harness.irsa-probe-e2e.test
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  reinvocationPolicy: IfNeeded
  timeoutSeconds: 10
  clientConfig:
    url: %s/harness
    caBundle: %s
  namespaceSelector:
    matchLabels:
      %s: "true"
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods]
- name: unschedulable.irsa-probe-e2e.test
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 10
  clientConfig:
    url: %s/unschedulable
    caBundle: %s
  namespaceSelector:
    matchLabels:
      %s: "true"
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods]
`, HostNetworkRuntimeClass, base, ca, LabelHostNetwork, base, ca, LabelAdmissionOnly)
}
