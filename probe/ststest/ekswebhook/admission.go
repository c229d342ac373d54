package ekswebhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxAdmissionReviewBytes caps a request body: a CREATE review carries the
// pod once, and the API server stores no object above etcd's default
// request limit of 1.5 MiB.
const maxAdmissionReviewBytes = 3 << 20

// EKSWebhookName is the webhook's name in EKS's registration.
const EKSWebhookName = "iam-for-pods.amazonaws.com"

// ServeHTTP answers admission.k8s.io/v1 (and v1beta1, which EKS's
// registration asks for: same JSON) AdmissionReview requests for pods
// (CREATE) with the mutation as a JSONPatch, as a
// MutatingWebhookConfiguration's clientConfig.url target. It follows
// Modifier.Handle and MutatePod (pkg/handler/handler.go): a body that is
// not a review, or a pod that does not decode, is denied with the error as
// message; a pod the webhook has nothing for (service account missing or
// not annotated, no association) is allowed without a patch. Not
// upstream's: a failed ServiceAccount lookup is allowed without a patch
// with a warning naming the error, and a request for anything but a pod's
// CREATE (which the registration never sends) is allowed untouched.
func (w *EKSWebhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "method not allowed, expected POST", http.StatusMethodNotAllowed)
		return
	}
	// upstream's check and text
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		http.Error(rw, "Invalid Content-Type, expected `application/json`", http.StatusUnsupportedMediaType)
		return
	}
	review := admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "AdmissionReview"}}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxAdmissionReviewBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		review.Response = denied(http.StatusRequestEntityTooLarge, fmt.Sprintf("AdmissionReview larger than %d bytes", tooLarge.Limit))
	case err != nil:
		review.Response = denied(http.StatusBadRequest, "reading the AdmissionReview: "+err.Error())
	default:
		var in admissionv1.AdmissionReview
		switch err := json.Unmarshal(body, &in); {
		case err != nil:
			review.Response = denied(http.StatusBadRequest, "decoding the AdmissionReview: "+err.Error())
		case in.Kind != "AdmissionReview" || !slices.Contains([]string{"admission.k8s.io/v1", "admission.k8s.io/v1beta1"}, in.APIVersion):
			review.Response = denied(http.StatusBadRequest, fmt.Sprintf("expected an admission.k8s.io/v1 AdmissionReview, got %s %s", in.APIVersion, in.Kind))
		case in.Request == nil:
			review.Response = denied(http.StatusBadRequest, "bad content") // upstream's text
		default:
			review.TypeMeta = in.TypeMeta // the API server requires its own version back
			review.Response = w.admit(r, in.Request)
			review.Response.UID = in.Request.UID
		}
	}
	out, err := json.Marshal(review)
	if err != nil {
		http.Error(rw, "encoding the AdmissionReview: "+err.Error(), http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	_, _ = rw.Write(out)
}

func denied(code int32, msg string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Result: &metav1.Status{Status: metav1.StatusFailure, Code: code, Message: msg}}
}

// admit is MutatePod.
func (w *EKSWebhook) admit(r *http.Request, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	if req.Resource != (metav1.GroupVersionResource{Version: "v1", Resource: "pods"}) || req.SubResource != "" || req.Operation != admissionv1.Create {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return denied(http.StatusBadRequest, err.Error())
	}
	pod.Namespace = req.Namespace
	var sa *corev1.ServiceAccount
	if w.ServiceAccount != nil {
		name := pod.Spec.ServiceAccountName
		if name == "" {
			name = "default"
		}
		var err error
		if sa, err = w.ServiceAccount(r.Context(), pod.Namespace, name); err != nil {
			return &admissionv1.AdmissionResponse{Allowed: true, Warnings: []string{
				fmt.Sprintf("ststest EKS webhook: service account %s/%s: %v: pod not mutated", pod.Namespace, name, err)}}
		}
	}
	mutated := pod.DeepCopy()
	pc := w.mutate(mutated, sa)
	if pc == nil {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	patch, err := json.Marshal(jsonPatch(&pod, mutated, pc))
	if err != nil {
		return denied(http.StatusInternalServerError, err.Error())
	}
	pt := admissionv1.PatchTypeJSONPatch
	return &admissionv1.AdmissionResponse{Allowed: true, Patch: patch, PatchType: &pt}
}

type patchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// jsonPatch is the patch that turns pod into mutated (by pc), in
// getPodSpecPatch's form: the Pod Identity label, the volume added first,
// and the containers (and init containers) replaced whole.
func jsonPatch(pod, mutated *corev1.Pod, pc *patchConfig) []patchOperation {
	var ops []patchOperation
	if pc.fullURI != "" {
		if pod.Labels == nil {
			ops = append(ops, patchOperation{Op: "add", Path: "/metadata/labels", Value: map[string]string{EKSPodIdentityLabel: "enabled"}})
		} else {
			ops = append(ops, patchOperation{Op: "add", Path: "/metadata/labels/eks.amazonaws.com~1pod-identity", Value: "enabled"})
		}
	}
	if !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == pc.volume }) {
		if pod.Spec.Volumes == nil {
			ops = append(ops, patchOperation{Op: "add", Path: "/spec/volumes", Value: mutated.Spec.Volumes})
		} else {
			ops = append(ops, patchOperation{Op: "add", Path: "/spec/volumes/0", Value: mutated.Spec.Volumes[0]})
		}
	}
	ops = append(ops, patchOperation{Op: "add", Path: "/spec/containers", Value: mutated.Spec.Containers})
	if len(mutated.Spec.InitContainers) > 0 {
		ops = append(ops, patchOperation{Op: "add", Path: "/spec/initContainers", Value: mutated.Spec.InitContainers})
	}
	return ops
}

// Configuration returns the MutatingWebhookConfiguration named name that
// registers the webhook at url, trusting caBundle (PEM), as EKS registers
// its own (kubectl get mutatingwebhookconfiguration pod-identity-webhook
// -o yaml on an EKS cluster; its deploy/mutatingwebhook.yaml has the same
// failurePolicy, objectSelector, rules and review version): pods' CREATE
// only, failurePolicy Ignore (a webhook that is down admits pods
// unmutated), the skip label excluded by objectSelector, a 10 s timeout
// and admission.k8s.io/v1beta1 reviews. reinvocationPolicy: upstream's
// deploy/mutatingwebhook.yaml sets none (Never) and what EKS's managed
// copy sets is not published; this registers IfNeeded, and the end-to-end
// injection test patches it to Never to show the policies work either way.
func (w *EKSWebhook) Configuration(name, url string, caBundle []byte) *admissionregistrationv1.MutatingWebhookConfiguration {
	ignore := admissionregistrationv1.Ignore
	equivalent := admissionregistrationv1.Equivalent
	none := admissionregistrationv1.SideEffectClassNone
	ifNeeded := admissionregistrationv1.IfNeededReinvocationPolicy
	scope := admissionregistrationv1.AllScopes
	timeout := int32(10)
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:         EKSWebhookName,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}, Scope: &scope},
			}},
			FailurePolicy:     &ignore,
			MatchPolicy:       &equivalent,
			NamespaceSelector: &metav1.LabelSelector{},
			ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: EKSSkipPodLabel, Operator: metav1.LabelSelectorOpDoesNotExist},
			}},
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1beta1"},
			ReinvocationPolicy:      &ifNeeded,
		}},
	}
}
