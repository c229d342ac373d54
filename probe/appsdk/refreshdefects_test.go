package appsdk_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// TestRefreshDefectTable: every entry cites its source, names a range that
// is not empty, and is judged by that range alone: the first affected and
// the last affected releases are, the fixed one and the one before the
// range are not, and the other mechanism never is.
func TestRefreshDefectTable(t *testing.T) {
	ds := appsdk.RefreshDefects()
	if len(ds) == 0 {
		t.Fatal("no entries")
	}
	for _, d := range ds {
		if !strings.HasPrefix(d.Upstream, "https://github.com/") || d.What == "" || appsdk.Compare(d.Introduced, d.Fixed) >= 0 {
			t.Errorf("entry %+v: no source, no description, or an empty range", d)
		}
	}
	for _, tc := range []struct {
		version, mech string
		affected      bool
	}{
		{"1.31.99", iam.MechanismPodIdentity, false}, // before the container provider read the token file
		{"1.32.0", iam.MechanismPodIdentity, true},
		{"1.34.40", iam.MechanismPodIdentity, true},
		{"1.34.41", iam.MechanismPodIdentity, false}, // boto/botocore#3114 released
		{"1.43.11", iam.MechanismPodIdentity, false},
		{"1.34.40", iam.MechanismIRSA, false}, // the web identity provider re-reads its file
	} {
		got := appsdk.RefreshDefectOf(appsdk.Found{Ecosystem: appsdk.EcosystemPython, Package: "botocore", Version: tc.version}, tc.mech)
		if (got != nil) != tc.affected {
			t.Errorf("botocore %s under %s: %+v, want affected %v", tc.version, tc.mech, got, tc.affected)
		}
	}
}

// TestRefreshDefectRealBotocore: the real botocore releases this machine
// has, as a running python3 imports them: the Python on PATH's (pip's,
// 1.43.11 here: fixed) and Debian's python3-botocore (1.29.27: before the
// container provider existed) carry no refresh defect under Pod Identity.
// No affected release (1.32.0 to 1.34.40) is served by a registry here;
// the check's test runs a stand-in for one.
func TestRefreshDefectRealBotocore(t *testing.T) {
	ran := 0
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		shim, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		real, err := exec.Command(shim, "-c", "import sys; print(sys.executable)").Output()
		if err != nil {
			continue
		}
		exe := strings.TrimSpace(string(real)) // pyenv's shim is a script
		if py == "/usr/bin/python3" {
			if _, err := os.Stat(debianBotocore); err != nil {
				continue
			}
		}
		v := pythonVersion(t, exe, "botocore")
		if v == "" {
			continue
		}
		ran++
		p := startProcess(t, t.TempDir(), []string{"HOME=/nonexistent"}, exe, "-c", "import botocore, time; time.sleep(600)")
		f := only(t, appsdk.Detect(p, iam.MechanismPodIdentity), "botocore")
		want := appsdk.Compare(v, "1.32.0") >= 0 && appsdk.Compare(v, "1.34.41") < 0
		if f.Version != v || (f.RefreshDefect != nil) != want {
			t.Errorf("%s's botocore %s: %+v, want affected %v", exe, v, f, want)
		}
	}
	if ran == 0 {
		t.Skip("no python3 with botocore here")
	}
}
