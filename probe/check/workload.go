package check

import (
	"regexp"
	"strings"
)

// Kubernetes names a Deployment's pods NAME-HASH-SUFFIX: HASH is the
// ReplicaSet's pod-template-hash label, SUFFIX five random characters,
// both from the alphabet of k8s.io/apimachinery's rand.String and
// SafeEncodeString (no vowels, no 0, 1, 3).
const podNameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

var deploymentPodRE = regexp.MustCompile(`^(.+)-([` + podNameAlphabet + `]{1,10})-[` + podNameAlphabet + `]{5}$`)

// workloadOf is the workload kubectl can restart for pod, and how it was
// found: from the pod-template-hash label (certain), from the name alone
// (a guess), or "" when the pod is not a Deployment's as far as can be told
// (the fixes then recreate the pod itself).
func workloadOf(pod, templateHash string) (ref, how string) {
	if pod == "" {
		return "", ""
	}
	if templateHash != "" {
		if name, ok := strings.CutSuffix(pod[:max(0, len(pod)-6)], "-"+templateHash); ok && name != "" && pod[len(pod)-6] == '-' {
			return "deployment/" + name, "the pod's name and its pod-template-hash label " + templateHash
		}
		return "", ""
	}
	if m := deploymentPodRE.FindStringSubmatch(pod); m != nil {
		return "deployment/" + m[1], "a guess from the pod's name (set IRSA_PROBE_POD_TEMPLATE_HASH from the pod-template-hash label to be sure)"
	}
	return "", ""
}
