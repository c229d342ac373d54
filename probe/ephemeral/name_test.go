package ephemeral

import (
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// TestFreshName: a drawn name the pod already uses (ephemeral, init or
// regular container) is drawn again; a pod that uses every draw is an
// error, not a reused name.
func TestFreshName(t *testing.T) {
	p := &kube.Pod{}
	p.Metadata.Name = "billing-api-7d9f8b6c5-x2k4q"
	p.Spec.InitContainers = []kube.Container{{Name: "irsa-probe-ccccc"}}
	p.Spec.Containers = []kube.Container{{Name: "irsa-probe-ddddd"}}
	p.Spec.EphemeralContainers = []kube.EphemeralContainer{{Name: "irsa-probe-bbbbb"}}
	// Draws: bbbbb (taken), ccccc (taken), ddddd (taken), fffff.
	var draws int
	intn := func(n int) int {
		if n != len(suffixLetters) {
			t.Fatalf("intn(%d)", n)
		}
		draws++
		return (draws - 1) / suffixLen
	}
	got, err := FreshName(p, intn)
	if err != nil || got != "irsa-probe-fffff" || draws != 4*suffixLen {
		t.Errorf("freshName = %q, %v after %d draws, want irsa-probe-fffff after %d", got, err, draws, 4*suffixLen)
	}
	if _, err := FreshName(p, func(int) int { return 0 }); err == nil || !strings.Contains(err.Error(), "no unused ephemeral container name") {
		t.Errorf("every draw taken: %v", err)
	}
}
