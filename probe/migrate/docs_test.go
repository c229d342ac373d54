package migrate

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryCodeAndStep: the manual's migration page tables every
// readiness code and every step, so scripts keyed on them find them.
func TestDocsListEveryCodeAndStep(t *testing.T) {
	b, err := os.ReadFile("../../docs/migrate.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes() {
		if !strings.Contains(string(b), "| `"+c+"` |") {
			t.Errorf("docs/migrate.md's readiness table lacks %s", c)
		}
	}
	for _, s := range []string{StepTrustPolicy, StepAssociate, StepUnannotate, StepRestart, StepVerify, StepRemoveIRSATrust, StepRollback} {
		if !strings.Contains(string(b), "| `"+s+"` |") {
			t.Errorf("docs/migrate.md's plan table lacks %s", s)
		}
	}
}
