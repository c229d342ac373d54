package plugin

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
)

// testVersion is the plugin's release in these tests.
const testVersion = "v0.1.0"

// TestMain lets this test binary answer as kubectl (kubefake's process
// front door) for the tests that paste printed commands into a shell.
func TestMain(m *testing.M) {
	kubefake.Main()
	os.Exit(m.Run())
}

// newFleetFake is a fake cluster holding c, which the plugin under test
// runs kubectl against in process; kubectl on PATH answers as it too.
func newFleetFake(t testing.TB, c *kubefake.Cluster) *kubefake.Fake {
	t.Helper()
	f := kubefake.New(t, c)
	f.OnPath(t)
	return f
}

// runWith runs the plugin against f in process.
func runWith(ctx context.Context, f *kubefake.Fake, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	p := &Plugin{Stdout: &o, Stderr: &e, Kube: f, Version: testVersion}
	code = p.Main(ctx, args)
	return code, o.String(), e.String()
}
