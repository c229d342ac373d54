package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// TestTargetAppSDKRefreshDefect: a Pod Identity application on botocore
// 1.34.40 (in boto/botocore#3117's range, fixed in 1.34.41) gets
// app-sdk-refresh-defect, a warning naming the issue, the range and the
// fixed release, beside app-sdk-too-old (1.34.41 is also Pod Identity's
// minimum); the Python on PATH's own botocore (a real, fixed release) gets
// neither. No registry here serves an affected botocore, so the affected
// one is a stand-in package: a real python3 importing a botocore whose
// __init__.py declares 1.34.40, which is all the detection reads.
func TestTargetAppSDKRefreshDefect(t *testing.T) {
	shim, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	out, err := exec.Command(shim, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatal(err)
	}
	py := strings.TrimSpace(string(out))
	st := startStack(t, ststest.StackOptions{PodIdentity: true})

	standIn := t.TempDir()
	if err := os.MkdirAll(filepath.Join(standIn, "botocore"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(standIn, "botocore", "__init__.py"), []byte("__version__ = '1.34.40'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, env []string) (int, []finding.Finding, string) {
		t.Helper()
		pid := startTarget(t, append(runEnv(st), env...), 0, py, "-c", "import botocore, time; time.sleep(600)")
		res, rep := runJSON(t, runOpts{env: probeOwnEnv(t, st), args: []string{"check", "--target=" + strconv.Itoa(pid), "--output=json"}})
		return res.exit, rep.Findings, res.stdout
	}

	t.Run("affected", func(t *testing.T) {
		_, fs, stdout := check(t, []string{"PYTHONPATH=" + standIn})
		var defect, tooOld *finding.Finding
		for i := range fs {
			switch fs[i].Code {
			case finding.CodeAppSDKRefreshDefect:
				defect = &fs[i]
			case finding.CodeAppSDKTooOld:
				tooOld = &fs[i]
			}
		}
		if defect == nil || tooOld == nil {
			t.Fatalf("findings %v, want app-sdk-refresh-defect and app-sdk-too-old\n%s", fs, stdout)
		}
		if defect.Severity != finding.SeverityWarning {
			t.Errorf("severity %s", defect.Severity)
		}
		for k, want := range map[string]string{finding.EvSDKVersion: "1.34.40", finding.EvSDKFixed: "1.34.41", finding.EvSDKAffected: ">= 1.32.0, < 1.34.41"} {
			if defect.Evidence[k] != want {
				t.Errorf("%s = %q, want %q", k, defect.Evidence[k], want)
			}
		}
		if !strings.Contains(defect.Message, "https://github.com/boto/botocore/issues/3117") || !strings.Contains(defect.Fix, "pip install --upgrade 'botocore>=1.34.41'") {
			t.Errorf("message %q\nfix %q", defect.Message, defect.Fix)
		}
	})
	t.Run("fixed", func(t *testing.T) {
		if v, err := exec.Command(py, "-c", "import botocore; print(botocore.__version__)").Output(); err != nil {
			t.Skip("the Python on PATH has no botocore")
		} else if appsdk.Compare(strings.TrimSpace(string(v)), "1.34.41") < 0 {
			t.Skipf("the Python on PATH has botocore %s, not a fixed release", v)
		}
		_, fs, stdout := check(t, nil)
		for _, f := range fs {
			if f.Code == finding.CodeAppSDKRefreshDefect || f.Code == finding.CodeAppSDKTooOld {
				t.Errorf("a fixed botocore got %s\n%s", f.Code, stdout)
			}
		}
	})
}
