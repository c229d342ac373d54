package probe

import "testing"

func TestExitCodesDistinct(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range []int{ExitOK, ExitBroken, ExitUsage, ExitIndeterminate} {
		if seen[c] {
			t.Fatalf("exit code %d used twice", c)
		}
		seen[c] = true
	}
}
