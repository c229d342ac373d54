package check

import "testing"

func TestWorkloadOf(t *testing.T) {
	for _, tc := range []struct {
		pod, hash, want string
		guess           bool
	}{
		{"billing-api-7d9f8b6c5-x2k4q", "7d9f8b6c5", "deployment/billing-api", false},
		{"billing-api-7d9f8b6c5-x2k4q", "", "deployment/billing-api", true},
		{"billing-api-7d9f8b6c5-x2k4q", "5c6b8f9d7", "", false}, // a label of another ReplicaSet: not this pod's
		{"web-0", "", "", false},                       // a StatefulSet's pod: recreate the pod
		{"billing-api-7d9f8b6c5-aeiou", "", "", false}, // vowels: not generated
		{"7d9f8b6c5-x2k4q", "7d9f8b6c5", "", false},
		{"", "7d9f8b6c5", "", false},
		{"x", "7d9f8b6c5", "", false},
	} {
		ref, how := workloadOf(tc.pod, tc.hash)
		if ref != tc.want || (ref != "" && (how[:7] == "a guess") != tc.guess) {
			t.Errorf("workloadOf(%q, %q) = %q, %q; want %q (guess %v)", tc.pod, tc.hash, ref, how, tc.want, tc.guess)
		}
	}
}
