package appsdk_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
)

// TestGoOldSDK builds a program against aws-sdk-go v1.23.0 (a real
// release, from the module proxy), runs it, and reads its build info from
// /proc/PID/exe: older than v1.23.13, IRSA's minimum.
func TestGoOldSDK(t *testing.T) {
	bin := BuildOldGoApp(t)
	p := startProcess(t, t.TempDir(), nil, bin, "sleep")
	found := appsdk.Detect(p, appsdk.MechanismIRSA)
	f := only(t, found, "github.com/aws/aws-sdk-go")
	if f.Ecosystem != appsdk.EcosystemGo || f.Version != "v1.23.0" || f.Minimum != "1.23.13" || !f.TooOld || f.Where != bin {
		t.Errorf("found %+v", f)
	}
}

// BuildOldGoApp builds testdata/oldgoapp, against its go.mod and go.sum.
func BuildOldGoApp(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs("testdata/oldgoapp")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "oldgoapp")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building oldgoapp against aws-sdk-go v1.23.0: %v\n%s", err, out)
	}
	return bin
}
