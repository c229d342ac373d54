package ekswebhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

const (
	whNamespace = "payments"
	whRole      = "arn:aws:iam::111122223333:role/billing-api"
	whTokenEnv  = `{"name":"AWS_WEB_IDENTITY_TOKEN_FILE","value":"/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}`
	whRegionEnv = `{"name":"AWS_DEFAULT_REGION","value":"eu-west-1"},{"name":"AWS_REGION","value":"eu-west-1"}`
	whSTSEnv    = `{"name":"AWS_STS_REGIONAL_ENDPOINTS","value":"regional"}`
	whRoleEnv   = `{"name":"AWS_ROLE_ARN","value":"` + whRole + `"}`
	whIRSAMount = `"volumeMounts":[{"name":"aws-iam-token","readOnly":true,"mountPath":"/var/run/secrets/eks.amazonaws.com/serviceaccount"}]`
	whPIEnv     = `{"name":"AWS_CONTAINER_CREDENTIALS_FULL_URI","value":"http://169.254.170.23/v1/credentials"},` +
		`{"name":"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE","value":"/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"}`
	whPIMount = `"volumeMounts":[{"name":"eks-pod-identity-token","readOnly":true,"mountPath":"/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"}]`
)

// whIRSAVolume is the aws-iam-token volume as the patch writes it.
func whIRSAVolume(audience string, exp int) string {
	return fmt.Sprintf(`{"name":"aws-iam-token","projected":{"sources":[{"serviceAccountToken":{"audience":%q,"expirationSeconds":%d,"path":"token"}}]}}`, audience, exp)
}

func whPIVolume(exp int) string {
	return fmt.Sprintf(`{"name":"eks-pod-identity-token","projected":{"sources":[{"serviceAccountToken":{"audience":"pods.eks.amazonaws.com","expirationSeconds":%d,"path":"eks-pod-identity-token"}}]}}`, exp)
}

// review is an AdmissionReview as kube-apiserver sends it for a pod a
// ReplicaSet creates.
func review(t *testing.T, apiVersion, operation, resource string, podYAML string) []byte {
	t.Helper()
	pod, err := yaml.YAMLToJSON([]byte(podYAML))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(nil, `{"apiVersion":%q,"kind":"AdmissionReview","request":{
		"uid":"705ab4f5-6393-11e8-b7cc-42010a800002",
		"kind":{"group":"","version":"v1","kind":"Pod"},
		"resource":{"group":"","version":"v1","resource":%q},
		"requestKind":{"group":"","version":"v1","kind":"Pod"},
		"requestResource":{"group":"","version":"v1","resource":%q},
		"namespace":%q,"operation":%q,
		"userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller","uid":"0d4b6a0c-1a63-4a53-9e04-3e0f6bd1c8c1","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},
		"object":%s,"oldObject":null,"dryRun":false,
		"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}`,
		apiVersion, resource, resource, whNamespace, operation, pod)
}

// post sends body to w's handler and decodes the answer strictly.
func post(t *testing.T, h http.Handler, contentType string, body []byte) (*http.Response, *admissionv1.AdmissionReview) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/mutate", contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	var out admissionv1.AdmissionReview
	if strict, err := k8sjson.UnmarshalStrict(raw, &out); err != nil || len(strict) > 0 {
		t.Fatalf("answer is not an AdmissionReview: %v %v\n%s", err, strict, raw)
	}
	return resp, &out
}

func serviceAccounts(accounts map[string]map[string]string) func(context.Context, string, string) (*corev1.ServiceAccount, error) {
	return func(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
		ann, ok := accounts[ns+"/"+name]
		if !ok {
			return nil, nil
		}
		return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: ann}}, nil
	}
}

// TestEKSWebhookPatches: the webhook's answers, as JSONPatches in
// upstream's form (cases modelled on pkg/handler/testdata and its
// containercredentials folder), and applying each patch to the pod gives
// exactly what Mutate makes of it: the two faces are one implementation.
func TestEKSWebhookPatches(t *testing.T) {
	irsa := map[string]map[string]string{whNamespace + "/billing-api": {EKSRoleARNAnnotation: whRole}}
	association := func(ns, sa string) (string, bool) {
		return "arn:aws:iam::111122223333:role/pod-identity", ns == whNamespace && sa == "billing-api"
	}
	for _, tc := range []struct {
		name     string
		accounts map[string]map[string]string
		assoc    func(string, string) (string, bool)
		w        EKSWebhook // Region defaults to eu-west-1
		pod      string
		want     string // the patch; "" for allowed without one
	}{
		{
			name:     "IRSA into containers, init containers and a native sidecar",
			accounts: irsa,
			pod: `{metadata: {generateName: billing-api-7d9f-}, spec: {serviceAccountName: billing-api,
				initContainers: [{name: irsa-probe, image: probe}, {name: proxy, image: proxy, restartPolicy: Always}],
				containers: [{name: app, image: app}]}}`,
			want: `[{"op":"add","path":"/spec/volumes","value":[` + whIRSAVolume("sts.amazonaws.com", 86400) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[` + whSTSEnv + `,` + whRegionEnv + `,` + whRoleEnv + `,` + whTokenEnv + `],"resources":{},` + whIRSAMount + `}]},
				{"op":"add","path":"/spec/initContainers","value":[
					{"name":"irsa-probe","image":"probe","env":[` + whSTSEnv + `,` + whRegionEnv + `,` + whRoleEnv + `,` + whTokenEnv + `],"resources":{},` + whIRSAMount + `},
					{"name":"proxy","image":"proxy","env":[` + whSTSEnv + `,` + whRegionEnv + `,` + whRoleEnv + `,` + whTokenEnv + `],"resources":{},"restartPolicy":"Always",` + whIRSAMount + `}]}]`,
		},
		{
			name:     "the volume goes first among the pod's",
			accounts: irsa,
			w:        EKSWebhook{Region: "-"},
			pod:      `{spec: {serviceAccountName: billing-api, volumes: [{name: cache, emptyDir: {}}], containers: [{name: app, image: app}]}}`,
			want: `[{"op":"add","path":"/spec/volumes/0","value":` + whIRSAVolume("sts.amazonaws.com", 86400) + `},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[` + whSTSEnv + `,` + whRoleEnv + `,` + whTokenEnv + `],"resources":{},` + whIRSAMount + `}]}]`,
		},
		{
			name:     "skip-containers, and a container's own AWS_ROLE_ARN costs it the token file",
			accounts: irsa,
			pod: `{metadata: {annotations: {eks.amazonaws.com/skip-containers: "sidecar"}}, spec: {serviceAccountName: billing-api,
				containers: [{name: sidecar, image: s}, {name: app, image: app, env: [{name: AWS_ROLE_ARN, value: mine}]}]}}`,
			want: `[{"op":"add","path":"/spec/volumes","value":[` + whIRSAVolume("sts.amazonaws.com", 86400) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"sidecar","image":"s","resources":{}},
					{"name":"app","image":"app","env":[{"name":"AWS_ROLE_ARN","value":"mine"},` + whSTSEnv + `,` + whRegionEnv + `],"resources":{},` + whIRSAMount + `}]}]`,
		},
		{
			name:     "a container with role, region and STS set is left alone, mount included",
			accounts: irsa,
			pod: `{spec: {serviceAccountName: billing-api, containers: [{name: app, image: app, env: [
				{name: AWS_REGION, value: us-east-1}, {name: AWS_STS_REGIONAL_ENDPOINTS, value: legacy}, {name: AWS_ROLE_ARN, value: mine}]}]}}`,
			want: `[{"op":"add","path":"/spec/volumes","value":[` + whIRSAVolume("sts.amazonaws.com", 86400) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[{"name":"AWS_REGION","value":"us-east-1"},{"name":"AWS_STS_REGIONAL_ENDPOINTS","value":"legacy"},{"name":"AWS_ROLE_ARN","value":"mine"}],"resources":{}}]}]`,
		},
		{
			name:     "the pod's own volume and mount of that name are kept",
			accounts: irsa,
			pod: `{spec: {serviceAccountName: billing-api, volumes: [{name: aws-iam-token, emptyDir: {}}],
				containers: [{name: app, image: app, volumeMounts: [{name: aws-iam-token, mountPath: /elsewhere}]}]}}`,
			want: `[{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[` + whSTSEnv + `,` + whRegionEnv + `,` + whRoleEnv + `,` + whTokenEnv + `],"resources":{},"volumeMounts":[{"name":"aws-iam-token","mountPath":"/elsewhere"}]}]}]`,
		},
		{
			name: "service account annotations; the pod's token-expiration wins, raised to 600",
			accounts: map[string]map[string]string{whNamespace + "/billing-api": {EKSRoleARNAnnotation: whRole,
				EKSAudienceAnnotation: "sts.example.com", EKSRegionalSTSAnnotation: "false", EKSTokenExpirationAnnotation: "3600"}},
			pod: `{metadata: {annotations: {eks.amazonaws.com/token-expiration: "0"}}, spec: {serviceAccountName: billing-api, containers: [{name: app, image: app}]}}`,
			want: `[{"op":"add","path":"/spec/volumes","value":[` + whIRSAVolume("sts.example.com", 600) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[` + whRegionEnv + `,` + whRoleEnv + `,` + whTokenEnv + `],"resources":{},` + whIRSAMount + `}]}]`,
		},
		{
			name:     "service account token-expiration, raised to 600; an unparsable regional setting is ignored",
			accounts: map[string]map[string]string{whNamespace + "/billing-api": {EKSRoleARNAnnotation: whRole, EKSTokenExpirationAnnotation: "60", EKSRegionalSTSAnnotation: "maybe"}},
			pod:      `{spec: {serviceAccountName: billing-api, containers: [{name: app, image: app}]}}`,
			want: `[{"op":"add","path":"/spec/volumes","value":[` + whIRSAVolume("sts.amazonaws.com", 600) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[` + whSTSEnv + `,` + whRegionEnv + `,` + whRoleEnv + `,` + whTokenEnv + `],"resources":{},` + whIRSAMount + `}]}]`,
		},
		{
			name:     "Windows pods get a Windows token path",
			accounts: irsa,
			pod:      `{spec: {serviceAccountName: billing-api, nodeSelector: {kubernetes.io/os: windows}, containers: [{name: app, image: app}]}}`,
			want: `[{"op":"add","path":"/spec/volumes","value":[` + whIRSAVolume("sts.amazonaws.com", 86400) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[` + whSTSEnv + `,` + whRegionEnv + `,` + whRoleEnv + `,
					{"name":"AWS_WEB_IDENTITY_TOKEN_FILE","value":"C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token"}],"resources":{},` + whIRSAMount + `}]}]`,
		},
		{
			name:     "Pod Identity takes precedence over the role-arn annotation, and labels the pod",
			accounts: irsa,
			assoc:    association,
			pod: `{metadata: {annotations: {eks.amazonaws.com/token-expiration: "7200"}}, spec: {serviceAccountName: billing-api,
				initContainers: [{name: init, image: i}], containers: [{name: app, image: app}]}}`,
			want: `[{"op":"add","path":"/metadata/labels","value":{"eks.amazonaws.com/pod-identity":"enabled"}},
				{"op":"add","path":"/spec/volumes","value":[` + whPIVolume(7200) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[` + whSTSEnv + `,` + whRegionEnv + `,` + whPIEnv + `],"resources":{},` + whPIMount + `}]},
				{"op":"add","path":"/spec/initContainers","value":[{"name":"init","image":"i","env":[` + whSTSEnv + `,` + whRegionEnv + `,` + whPIEnv + `],"resources":{},` + whPIMount + `}]}]`,
		},
		{
			name:  "Pod Identity without the service account in the cache: no regional STS; existing labels get one more",
			assoc: association,
			pod: `{metadata: {labels: {app: billing-api}, annotations: {eks.amazonaws.com/token-expiration: "7200", eks.amazonaws.com/skip-containers: "sidecar"}},
				spec: {serviceAccountName: billing-api, volumes: [{name: eks-pod-identity-token, emptyDir: {}}],
				containers: [{name: sidecar, image: s}, {name: app, image: app, volumeMounts: [{name: eks-pod-identity-token, mountPath: /some/other/path}]}]}}`,
			want: `[{"op":"add","path":"/metadata/labels/eks.amazonaws.com~1pod-identity","value":"enabled"},
				{"op":"add","path":"/spec/containers","value":[{"name":"sidecar","image":"s","resources":{}},
					{"name":"app","image":"app","env":[` + whRegionEnv + `,` + whPIEnv + `],"resources":{},"volumeMounts":[{"name":"eks-pod-identity-token","mountPath":"/some/other/path"}]}]}]`,
		},
		{
			name:  "the test environment's agent and redirections; a container's own value stays",
			assoc: association,
			w: EKSWebhook{AgentURI: "http://127.0.0.1:4711/v1/credentials", Env: []corev1.EnvVar{
				{Name: "AWS_EC2_METADATA_DISABLED", Value: "true"}, {Name: "AWS_ENDPOINT_URL_STS", Value: "https://127.0.0.1:4712"}}},
			pod: `{metadata: {annotations: {eks.amazonaws.com/token-expiration: "7200"}}, spec: {serviceAccountName: billing-api,
				containers: [{name: app, image: app, env: [{name: AWS_EC2_METADATA_DISABLED, value: "false"}]}]}}`,
			want: `[{"op":"add","path":"/metadata/labels","value":{"eks.amazonaws.com/pod-identity":"enabled"}},
				{"op":"add","path":"/spec/volumes","value":[` + whPIVolume(7200) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[{"name":"AWS_EC2_METADATA_DISABLED","value":"false"},` + whRegionEnv + `,
					{"name":"AWS_CONTAINER_CREDENTIALS_FULL_URI","value":"http://127.0.0.1:4711/v1/credentials"},
					{"name":"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE","value":"/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"},
					{"name":"AWS_ENDPOINT_URL_STS","value":"https://127.0.0.1:4712"}],"resources":{},` + whPIMount + `}]}]`,
		},
		{
			name:     "the default service account when the pod names none",
			accounts: map[string]map[string]string{whNamespace + "/default": {EKSRoleARNAnnotation: whRole}},
			pod:      `{spec: {containers: [{name: app, image: app, env: [{name: AWS_REGION, value: x}, {name: AWS_STS_REGIONAL_ENDPOINTS, value: regional}, {name: AWS_WEB_IDENTITY_TOKEN_FILE, value: /t}]}]}}`,
			want: `[{"op":"add","path":"/spec/volumes","value":[` + whIRSAVolume("sts.amazonaws.com", 86400) + `]},
				{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"app","env":[{"name":"AWS_REGION","value":"x"},{"name":"AWS_STS_REGIONAL_ENDPOINTS","value":"regional"},{"name":"AWS_WEB_IDENTITY_TOKEN_FILE","value":"/t"}],"resources":{}}]}]`,
		},
		{name: "service account missing", pod: `{spec: {serviceAccountName: billing-api, containers: [{name: app, image: app}]}}`},
		{
			name:     "service account without a role",
			accounts: map[string]map[string]string{whNamespace + "/billing-api": {EKSAudienceAnnotation: "sts.amazonaws.com"}},
			pod:      `{spec: {serviceAccountName: billing-api, containers: [{name: app, image: app}]}}`,
		},
		{
			name:     "skip label (the registration's objectSelector)",
			accounts: irsa, assoc: association,
			pod: `{metadata: {labels: {eks.amazonaws.com/skip-pod-identity-webhook: "true"}}, spec: {serviceAccountName: billing-api, containers: [{name: app, image: app}]}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.w
			switch w.Region {
			case "":
				w.Region = "eu-west-1"
			case "-":
				w.Region = ""
			}
			w.ServiceAccount = serviceAccounts(tc.accounts)
			w.PodIdentityAssociation = tc.assoc
			for _, version := range []string{"admission.k8s.io/v1", "admission.k8s.io/v1beta1"} {
				body := review(t, version, "CREATE", "pods", tc.pod)
				_, out := post(t, &w, "application/json", body)
				if out == nil {
					t.Fatal("no AdmissionReview in the answer")
				}
				if out.APIVersion != version || out.Kind != "AdmissionReview" || out.Response == nil ||
					out.Response.UID != "705ab4f5-6393-11e8-b7cc-42010a800002" || !out.Response.Allowed {
					t.Fatalf("%s: answer %+v, want the request's version and uid, allowed", version, out)
				}
				if tc.want == "" {
					if out.Response.Patch != nil || out.Response.PatchType != nil {
						t.Errorf("patch %s, want none", out.Response.Patch)
					}
					continue
				}
				if pt := out.Response.PatchType; pt == nil || *pt != admissionv1.PatchTypeJSONPatch {
					t.Errorf("patchType %v, want JSONPatch", pt)
				}
				var got, want any
				if err := json.Unmarshal(out.Response.Patch, &got); err != nil {
					t.Fatalf("patch: %v", err)
				}
				if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
					t.Fatalf("want: %v", err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("patch:\n got %s\nwant %s", out.Response.Patch, compact(tc.want))
				}

				// The patched pod, decoded strictly, is what Mutate makes.
				podJSON, _ := yaml.YAMLToJSON([]byte(tc.pod))
				patched := applyJSONPatch(t, podJSON, out.Response.Patch)
				var viaHTTP corev1.Pod
				if strict, err := k8sjson.UnmarshalStrict(patched, &viaHTTP); err != nil || len(strict) > 0 {
					t.Fatalf("patched pod: %v %v\n%s", err, strict, patched)
				}
				var direct corev1.Pod
				if err := yaml.UnmarshalStrict([]byte(tc.pod), &direct); err != nil {
					t.Fatal(err)
				}
				direct.Namespace = whNamespace
				name := cmpOr(direct.Spec.ServiceAccountName, "default")
				sa, _ := w.ServiceAccount(context.Background(), whNamespace, name)
				w.Mutate(&direct, sa)
				viaHTTP.Namespace = whNamespace
				if !reflect.DeepEqual(&viaHTTP, &direct) {
					a, _ := json.Marshal(&viaHTTP)
					b, _ := json.Marshal(&direct)
					t.Errorf("patched pod and Mutate differ:\npatched %s\nMutate  %s", a, b)
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func compact(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// applyJSONPatch applies an RFC 6902 patch of "add" operations (all the
// webhook writes; anything else fails the test) to doc.
func applyJSONPatch(t *testing.T, doc, patch []byte) []byte {
	t.Helper()
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	var ops []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if strict, err := k8sjson.UnmarshalStrict(patch, &ops); err != nil || len(strict) > 0 {
		t.Fatalf("patch: %v %v", err, strict)
	}
	for _, op := range ops {
		if op.Op != "add" || !strings.HasPrefix(op.Path, "/") || op.Value == nil {
			t.Fatalf("unexpected operation %+v", op)
		}
		var value any
		if err := json.Unmarshal(op.Value, &value); err != nil {
			t.Fatal(err)
		}
		tokens := strings.Split(op.Path[1:], "/")
		for i, tok := range tokens {
			tokens[i] = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		}
		root = jsonPatchAdd(t, root, tokens, value)
	}
	out, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonPatchAdd returns node with value added at path (RFC 6902 4.1: an
// object member is set, an array element inserted before the index, "-"
// appends; every parent must exist).
func jsonPatchAdd(t *testing.T, node any, path []string, value any) any {
	t.Helper()
	if len(path) == 0 {
		return value
	}
	switch n := node.(type) {
	case map[string]any:
		if len(path) == 1 {
			n[path[0]] = value
			return n
		}
		child, ok := n[path[0]]
		if !ok {
			t.Fatalf("path member %q does not exist", path[0])
		}
		n[path[0]] = jsonPatchAdd(t, child, path[1:], value)
		return n
	case []any:
		i := len(n)
		if path[0] != "-" {
			var err error
			if i, err = strconv.Atoi(path[0]); err != nil || i < 0 || i > len(n) {
				t.Fatalf("bad array index %q for %d elements", path[0], len(n))
			}
		}
		if len(path) == 1 {
			return slices.Insert(n, i, value)
		}
		if i == len(n) {
			t.Fatalf("array index %q past the end", path[0])
		}
		n[i] = jsonPatchAdd(t, n[i], path[1:], value)
		return n
	default:
		t.Fatalf("path %q goes through a %T", path, node)
		return nil
	}
}

// TestApplyJSONPatch: the test's applier follows RFC 6902's examples, so
// a patch it applies wrongly cannot pass for right.
func TestApplyJSONPatch(t *testing.T) {
	for _, tc := range []struct{ doc, patch, want string }{
		{`{"foo":"bar"}`, `[{"op":"add","path":"/baz","value":"qux"}]`, `{"baz":"qux","foo":"bar"}`},             // A.1
		{`{"foo":["bar","baz"]}`, `[{"op":"add","path":"/foo/1","value":"qux"}]`, `{"foo":["bar","qux","baz"]}`}, // A.2
		{`{"foo":["bar"]}`, `[{"op":"add","path":"/foo/-","value":["abc","def"]}]`, `{"foo":["bar",["abc","def"]]}`},
		{`{"a":{"b/c":1}}`, `[{"op":"add","path":"/a/b~1c","value":2}]`, `{"a":{"b/c":2}}`},
		{`{"a":{}}`, `[{"op":"add","path":"/a/m~0n","value":{"x":1}}]`, `{"a":{"m~n":{"x":1}}}`},
	} {
		if got := string(applyJSONPatch(t, []byte(tc.doc), []byte(tc.patch))); got != tc.want {
			t.Errorf("%s + %s = %s, want %s", tc.doc, tc.patch, got, tc.want)
		}
	}
}

// TestEKSWebhookJitter: a Pod Identity token of the default lifetime gets
// upstream's jitter, drawn from Rand when set; IRSA's does not.
func TestEKSWebhookJitter(t *testing.T) {
	pod := func() *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: whNamespace}, Spec: corev1.PodSpec{
			ServiceAccountName: "billing-api", Containers: []corev1.Container{{Name: "app"}}}}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{EKSRoleARNAnnotation: whRole}}}
	lifetime := func(w *EKSWebhook) int64 {
		p := pod()
		w.Mutate(p, sa)
		return *p.Spec.Volumes[0].Projected.Sources[0].ServiceAccountToken.ExpirationSeconds
	}
	if got := lifetime(&EKSWebhook{}); got != 86400 {
		t.Errorf("IRSA token lifetime %d, want 86400 without jitter", got)
	}
	w := &EKSWebhook{PodIdentityAssociation: func(string, string) (string, bool) { return whRole, true }}
	seen := map[int64]bool{}
	for range 200 {
		got := lifetime(w)
		if got < 79200 || got > 86400 {
			t.Fatalf("Pod Identity token lifetime %d outside [79200, 86400]", got)
		}
		seen[got] = true
	}
	if len(seen) < 100 {
		t.Errorf("200 lifetimes, %d distinct: no jitter", len(seen))
	}
	a := lifetime(&EKSWebhook{PodIdentityAssociation: w.PodIdentityAssociation, Rand: rand.New(rand.NewPCG(1, 2))})
	b := lifetime(&EKSWebhook{PodIdentityAssociation: w.PodIdentityAssociation, Rand: rand.New(rand.NewPCG(1, 2))})
	if a != b {
		t.Errorf("the same Rand drew %d and %d", a, b)
	}
}

// TestEKSWebhookRefuses: what is not a pod's CREATE review is answered as
// upstream's Handle does (or left alone), never with a patch.
func TestEKSWebhookRefuses(t *testing.T) {
	w := &EKSWebhook{Region: "eu-west-1", ServiceAccount: serviceAccounts(map[string]map[string]string{whNamespace + "/billing-api": {EKSRoleARNAnnotation: whRole}})}
	pod := `{spec: {serviceAccountName: billing-api, containers: [{name: app, image: app}]}}`
	huge := review(t, "admission.k8s.io/v1", "CREATE", "pods", `{metadata: {annotations: {big: "`+strings.Repeat("x", maxAdmissionReviewBytes)+`"}}, spec: {serviceAccountName: billing-api}}`)
	for _, tc := range []struct {
		name        string
		contentType string
		body        []byte
		status      int    // HTTP status when not 200
		allowed     bool   // else denied with message
		message     string // in the denial
		uid         bool   // the request's uid echoed
	}{
		{"not JSON content", "text/plain", review(t, "admission.k8s.io/v1", "CREATE", "pods", pod), http.StatusUnsupportedMediaType, false, "", false},
		{"body over the cap", "application/json", huge, 0, false, "larger than 3145728 bytes", false},
		{"not JSON", "application/json", []byte("<xml/>"), 0, false, "decoding the AdmissionReview", false},
		{"not a review", "application/json", []byte(`{"apiVersion":"v1","kind":"Pod"}`), 0, false, "expected an admission.k8s.io/v1 AdmissionReview, got v1 Pod", false},
		{"no request", "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), 0, false, "bad content", false},
		{"pod that does not decode", "application/json", []byte(strings.Replace(string(review(t, "admission.k8s.io/v1", "CREATE", "pods", pod)), `"containers":[`, `"containers":7,"x":[`, 1)), 0, false, "cannot unmarshal", true},
		{"UPDATE", "application/json", review(t, "admission.k8s.io/v1", "UPDATE", "pods", pod), 0, true, "", true},
		{"not a pod", "application/json", review(t, "admission.k8s.io/v1", "CREATE", "deployments", pod), 0, true, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := post(t, w, tc.contentType, tc.body)
			if tc.status != 0 {
				if resp.StatusCode != tc.status {
					t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
				}
				return
			}
			if out == nil || out.Response == nil {
				t.Fatalf("status %d, no AdmissionReview response", resp.StatusCode)
			}
			r := out.Response
			if r.Allowed != tc.allowed || r.Patch != nil {
				t.Errorf("allowed %v with patch %s, want allowed %v without", r.Allowed, r.Patch, tc.allowed)
			}
			if !tc.allowed && (r.Result == nil || !strings.Contains(r.Result.Message, tc.message)) {
				t.Errorf("denial %+v, want a message with %q", r.Result, tc.message)
			}
			if (r.UID != "") != tc.uid {
				t.Errorf("uid %q, want the request's: %v", r.UID, tc.uid)
			}
		})
	}

	// A failed service account lookup admits the pod unmutated, and says why.
	w.ServiceAccount = func(context.Context, string, string) (*corev1.ServiceAccount, error) {
		return nil, errors.New("connection refused")
	}
	_, out := post(t, w, "application/json", review(t, "admission.k8s.io/v1", "CREATE", "pods", pod))
	if r := out.Response; !r.Allowed || r.Patch != nil || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "payments/billing-api: connection refused") {
		t.Errorf("lookup error answered %+v", r)
	}
}

// TestEKSWebhookConfiguration: the registration is EKS's, survives a
// strict round trip as YAML, and its objectSelector leaves out exactly the
// pods Mutate leaves alone for their labels.
func TestEKSWebhookConfiguration(t *testing.T) {
	w := &EKSWebhook{}
	c := w.Configuration("pod-identity-webhook", "https://127.0.0.1:23443/mutate", []byte("PEM"))
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back admissionregistrationv1.MutatingWebhookConfiguration
	if err := yaml.UnmarshalStrict(y, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, c) {
		t.Errorf("round trip changed it:\n%s", y)
	}
	if back.APIVersion != "admissionregistration.k8s.io/v1" || back.Kind != "MutatingWebhookConfiguration" || back.Name != "pod-identity-webhook" || len(back.Webhooks) != 1 {
		t.Fatalf("not one webhook's registration:\n%s", y)
	}
	h := back.Webhooks[0]
	for what, ok := range map[string]bool{
		"name iam-for-pods.amazonaws.com":   h.Name == "iam-for-pods.amazonaws.com",
		"url and caBundle":                  *h.ClientConfig.URL == "https://127.0.0.1:23443/mutate" && string(h.ClientConfig.CABundle) == "PEM" && h.ClientConfig.Service == nil,
		"failurePolicy Ignore":              *h.FailurePolicy == admissionregistrationv1.Ignore,
		"reinvocationPolicy IfNeeded":       *h.ReinvocationPolicy == admissionregistrationv1.IfNeededReinvocationPolicy,
		"sideEffects None":                  *h.SideEffects == admissionregistrationv1.SideEffectClassNone,
		"timeoutSeconds 10":                 *h.TimeoutSeconds == 10,
		"matchPolicy Equivalent":            *h.MatchPolicy == admissionregistrationv1.Equivalent,
		"admission.k8s.io/v1beta1 reviews":  slices.Equal(h.AdmissionReviewVersions, []string{"v1beta1"}),
		"every namespace":                   h.NamespaceSelector != nil && h.NamespaceSelector.Size() == 0,
		"CREATE of v1 pods, any scope only": len(h.Rules) == 1 && slices.Equal(h.Rules[0].Operations, []admissionregistrationv1.OperationType{"CREATE"}) && slices.Equal(h.Rules[0].Resources, []string{"pods"}) && slices.Equal(h.Rules[0].APIGroups, []string{""}) && slices.Equal(h.Rules[0].APIVersions, []string{"v1"}) && *h.Rules[0].Scope == "*",
	} {
		if !ok {
			t.Errorf("not %s:\n%s", what, y)
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(h.ObjectSelector)
	if err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{EKSRoleARNAnnotation: whRole}}}
	for _, l := range []map[string]string{nil, {"app": "x"}, {EKSSkipPodLabel: "true"}, {EKSSkipPodLabel: "false"}, {EKSSkipPodLabel: "", "app": "x"}} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
		w.Mutate(pod, sa)
		if mutated := len(pod.Spec.Volumes) > 0; mutated != sel.Matches(labels.Set(l)) {
			t.Errorf("labels %v: selected %v, Mutate mutated %v", l, sel.Matches(labels.Set(l)), mutated)
		}
	}
}

// TestPodIdentityAgentAssociation: the agent's associations are what the
// webhook double asks for.
func TestPodIdentityAgentAssociation(t *testing.T) {
	a := ststest.NewPodIdentityAgent(ststest.NewSTS())
	defer a.Close()
	a.Associate(whNamespace, "billing-api", whRole)
	if role, ok := a.Association(whNamespace, "billing-api"); !ok || role != whRole {
		t.Errorf("Association = %q, %v", role, ok)
	}
	a.Disassociate(whNamespace, "billing-api")
	if _, ok := a.Association(whNamespace, "billing-api"); ok {
		t.Error("association still there")
	}
}
