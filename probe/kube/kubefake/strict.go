package kubefake

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	sjson "sigs.k8s.io/json"
)

// Strict decodes b strictly into v (a k8s.io/api type): an unknown or
// mistyped field fails the test, so what the plugin writes or decodes is
// what the API server takes or prints.
func Strict(t testing.TB, b []byte, v any) {
	t.Helper()
	strictErrs, err := sjson.UnmarshalStrict(b, v, sjson.DisallowUnknownFields)
	if err != nil || len(strictErrs) > 0 {
		t.Fatalf("does not decode strictly as %T: %v %v\n%.400s", v, err, strictErrs, b)
	}
}

// Restricted checks the Pod Security "restricted" rules a container's
// security context must meet.
func Restricted(t testing.TB, sc *corev1.SecurityContext) {
	t.Helper()
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Add) != 0 || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || (sc.RunAsUser != nil && *sc.RunAsUser == 0) {
		t.Errorf("security context does not pass Pod Security restricted: %+v", sc)
	}
}
