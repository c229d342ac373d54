package appsdk_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// TestNodeOldSDK lays the real package.json of aws-sdk 2.500.0 and
// @aws-sdk/credential-provider-node 3.20.0 (testdata/npm, from the npm
// registry) out as an application's node_modules, runs node in a
// subdirectory of it, and finds both older than IRSA's minimums.
func TestNodeOldSDK(t *testing.T) {
	node := need(t, "node")
	app := t.TempDir()
	for dir, src := range map[string]string{
		"node_modules/aws-sdk":                           "testdata/npm/aws-sdk-2.500.0/package.json",
		"node_modules/@aws-sdk/credential-provider-node": "testdata/npm/credential-provider-node-3.20.0/package.json",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(app, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(app, dir, "package.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := filepath.Join(app, "src")
	if err := os.MkdirAll(srv, 0o755); err != nil {
		t.Fatal(err)
	}
	// require() searches node_modules upwards from the script's directory.
	p := startProcess(t, srv, nil, node, "-e", "setTimeout(() => {}, 600000)")
	found := appsdk.Detect(p, iam.MechanismIRSA)
	v2 := only(t, found, "aws-sdk")
	if v2.Version != "2.500.0" || v2.Minimum != "2.525.0" || !v2.TooOld || v2.Where != filepath.Join(app, "node_modules/aws-sdk/package.json") {
		t.Errorf("aws-sdk: %+v", v2)
	}
	v3 := only(t, found, "@aws-sdk/credential-provider-node")
	if v3.Version != "3.20.0" || v3.Minimum != "3.27.0" || !v3.TooOld {
		t.Errorf("credential-provider-node: %+v", v3)
	}
}
