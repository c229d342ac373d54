package target

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeProc lays out /proc entries: pid → (comm, environ); the probe's own
// pid is added as irsa-probe.
func fakeProc(t *testing.T, procs map[int][2]string) {
	t.Helper()
	dir := t.TempDir()
	old := procDir
	procDir = dir
	t.Cleanup(func() { procDir = old })
	root := t.TempDir()
	procs[os.Getpid()] = [2]string{"irsa-probe", "AWS_ROLE_ARN=the-probe's"}
	for pid, p := range procs {
		d := filepath.Join(dir, strconv.Itoa(pid))
		must(t, os.MkdirAll(d, 0o755))
		must(t, os.WriteFile(filepath.Join(d, "status"), []byte("Name:\t"+p[0]+"\nUid:\t1000\t1000\t1000\t1000\nGid:\t3000\t3000\t3000\t3000\n"), 0o444))
		must(t, os.WriteFile(filepath.Join(d, "environ"), []byte(strings.ReplaceAll(p[1], " ", "\x00")+"\x00"), 0o400))
		must(t, os.WriteFile(filepath.Join(d, "cmdline"), []byte("/app/"+p[0]+"\x00--serve\x00"), 0o444))
		must(t, os.Symlink("/app/"+p[0], filepath.Join(d, "exe")))
		must(t, os.Symlink("/srv", filepath.Join(d, "cwd")))
		must(t, os.Symlink(root, filepath.Join(d, "root")))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAutoSkipsPauseAndTheProbe(t *testing.T) {
	fakeProc(t, map[int][2]string{
		1:  {"pause", ""},
		12: {"billing-api", "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/billing-api HOME=/home/app"},
		40: {"sidecar", ""},
	})
	p, err := Find(Auto)
	if err != nil {
		t.Fatal(err)
	}
	if p.PID != 12 || p.UID != 1000 || p.GID != 3000 || p.Exe != "/app/billing-api" || p.Cwd != "/srv" ||
		p.Getenv("AWS_ROLE_ARN") != "arn:aws:iam::111122223333:role/billing-api" || len(p.Args) != 2 {
		t.Fatalf("picked %+v", p)
	}
	if !strings.Contains(p.Picked, "pid 12 (billing-api)") || !strings.Contains(p.Picked, "1 (pause)") {
		t.Errorf("picked says %q", p.Picked)
	}
}

func TestFindErrors(t *testing.T) {
	fakeProc(t, map[int][2]string{1: {"app", ""}})
	for spec, kind := range map[string]Kind{"abc": KindUsage, "-3": KindUsage, "77": KindUsage, strconv.Itoa(os.Getpid()): KindUsage} {
		_, err := Find(spec)
		var te *Error
		if !errors.As(err, &te) || te.Kind != kind {
			t.Errorf("Find(%q): %v, want kind %d", spec, err, kind)
		}
	}
	// An environ the kernel would never write, over the cap: refused, not read.
	must(t, os.Remove(filepath.Join(procDir, "1", "environ")))
	must(t, os.WriteFile(filepath.Join(procDir, "1", "environ"), make([]byte, maxEnviron+1), 0o400))
	_, err := Find("1")
	var te *Error
	if !errors.As(err, &te) || te.Kind != KindRefused {
		t.Errorf("oversized environ: %v", err)
	}
}

func TestHidepidIn(t *testing.T) {
	for line, want := range map[string]bool{
		"25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw,hidepid=invisible":  true,
		"25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw,hidepid=2,gid=4":    true,
		"25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw":                    false,
		"25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw,hidepid=0":          false,
		"26 30 0:24 / /other rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw,hidepid=invisible": false,
	} {
		if got, _ := hidepidIn(line); got != want {
			t.Errorf("%s: %v", line, got)
		}
	}
}

// TestAdopt: the probe's AWS and proxy variables give way to the target's,
// files re-rooted, the shared config defaulting to the target's home, and
// a config naming a credential_process not adopted.
func TestAdopt(t *testing.T) {
	fakeProc(t, map[int][2]string{5: {"app", "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/app AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token HTTPS_PROXY=http://proxy:3128 HOME=/home/app BAD=NAME=x"}})
	p, err := Open(5)
	must(t, err)
	must(t, os.MkdirAll(filepath.Join(p.Root(), "home/app/.aws"), 0o755))
	must(t, os.WriteFile(filepath.Join(p.Root(), "home/app/.aws/config"), []byte("[default]\ncredential_process = /bin/steal\n"), 0o644))
	t.Cleanup(func() { _ = Clear() })
	t.Setenv("AWS_ACCESS_KEY_ID", "the-probe's")
	t.Setenv("http_proxy", "http://the-probe's")
	notes, err := p.Adopt()
	must(t, err)
	for name, want := range map[string]string{
		"AWS_ROLE_ARN":                "arn:aws:iam::111122223333:role/app",
		"AWS_WEB_IDENTITY_TOKEN_FILE": filepath.Join(p.Root(), "var/run/secrets/eks.amazonaws.com/serviceaccount/token"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(p.Root(), "home/app/.aws/credentials"),
		"AWS_CONFIG_FILE":             filepath.Join(p.Root(), "irsa-probe-refused/config"),
		"HTTPS_PROXY":                 "http://proxy:3128",
		"AWS_ACCESS_KEY_ID":           "",
		"http_proxy":                  "",
	} {
		if got := os.Getenv(name); got != want {
			t.Errorf("%s=%q, want %q", name, got, want)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "/home/app/.aws/config names a credential_process") {
		t.Errorf("notes %q", notes)
	}
}

// TestAutoFindsNoApplication: when every process is skipped, the error
// lists each with its pid, name and why, and its advice follows from what
// was there: with pause, the pod's shared namespace without the
// application running (kubectl debug --target would not help: it was
// given, or the namespace is shared already); alone, the way into the
// application's namespace.
func TestAutoFindsNoApplication(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	many := map[int][2]string{1: {"pause", ""}}
	for pid := 2; pid < 12; pid++ {
		many[pid] = [2]string{"irsa-probe", ""}
	}
	for _, tc := range []struct {
		name      string
		procs     map[int][2]string
		want, not []string
	}{
		{
			name:  "pause and the probe",
			procs: map[int][2]string{1: {"pause", ""}},
			want:  []string{`pid 1 "pause" (the pod's sandbox), `, `pid ` + self + ` "irsa-probe" (this probe)`, "application's container is not running", "kubectl describe pod POD", "--target=PID"},
			not:   []string{"kubectl debug"},
		},
		{
			name:  "pause, the serve sidecar and the probe",
			procs: map[int][2]string{1: {"pause", ""}, 7: {"irsa-probe", ""}},
			want:  []string{`pid 1 "pause" (the pod's sandbox), pid 7 "irsa-probe" (another irsa-probe), pid ` + self},
			not:   []string{"kubectl debug"},
		},
		{
			name:  "the probe alone",
			procs: map[int][2]string{},
			want:  []string{`holds pid ` + self + ` "irsa-probe" (this probe), each skipped`, "alone in a PID namespace of its own", "kubectl debug POD --target=CONTAINER", "shareProcessNamespace: true"},
			not:   []string{"pause", "describe"},
		},
		{
			name:  "a long list is cut",
			procs: many,
			want:  []string{`pid 1 "pause"`, `pid 7 "irsa-probe"`, "and 4 more, each skipped"},
			not:   []string{`pid 9 "irsa-probe"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeProc(t, tc.procs)
			_, err := Find(Auto)
			var te *Error
			if !errors.As(err, &te) || te.Kind != KindUsage || !te.Auto {
				t.Fatalf("Find(auto): %v, want a usage error of auto", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error has %q:\n%v", n, err)
				}
			}
		})
	}
}
