package appsdk_test

import (
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/appsdk/appsdktest"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// TestGoOldSDK builds a program against aws-sdk-go v1.23.0 (a real
// release, from the module proxy), runs it, and reads its build info from
// /proc/PID/exe: older than v1.23.13, IRSA's minimum.
func TestGoOldSDK(t *testing.T) {
	bin, err := appsdktest.BuildOldGoApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, t.TempDir(), nil, bin, "sleep")
	found := appsdk.Detect(p, iam.MechanismIRSA)
	f := only(t, found, "github.com/aws/aws-sdk-go")
	if f.Ecosystem != appsdk.EcosystemGo || f.Version != appsdktest.OldGoAppSDK || f.Minimum != "1.23.13" || !f.TooOld || f.Where != bin {
		t.Errorf("found %+v", f)
	}
}
