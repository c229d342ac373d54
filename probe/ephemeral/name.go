package ephemeral

import (
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// Names of the probe's ephemeral containers: "irsa-probe-" and a random
// suffix in kubectl debug's own style (debugger-xxxxx). Ephemeral
// containers are never removed from a pod's spec, and a container name is
// unique within a pod, so every run needs a name the pod has not used.
const (
	namePrefix    = "irsa-probe-"
	suffixLetters = "bcdfghjklmnpqrstvwxz2456789" // no vowels, no 0/1/3: no words, no look-alikes
	suffixLen     = 5
	nameAttempts  = 64
)

// FreshName is a container name p does not use yet; intn(n) draws in [0, n).
func FreshName(p *kube.Pod, intn func(n int) int) (string, error) {
	used := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		used[c.Name] = true
	}
	for _, c := range p.Spec.Containers {
		used[c.Name] = true
	}
	for _, c := range p.Spec.EphemeralContainers {
		used[c.Name] = true
	}
	for range nameAttempts {
		b := []byte(namePrefix)
		for range suffixLen {
			b = append(b, suffixLetters[intn(len(suffixLetters))])
		}
		if !used[string(b)] {
			return string(b), nil
		}
	}
	return "", fmt.Errorf("pod %s: no unused ephemeral container name after %d draws (it has %d ephemeral containers)", p.Metadata.Name, nameAttempts, len(p.Spec.EphemeralContainers))
}
