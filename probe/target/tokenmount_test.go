package target

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenMount: a pod's token files as the container runtime and kubelet
// lay them out, in a fake /proc: the webhook's mount of the projected
// volume (under /var/run, an absolute symlink to /run as in many images),
// a copy, a subPath bind mount (mountinfo escapes its space), and paths
// into the volume's own ..data and timestamped directories.
func TestTokenMount(t *testing.T) {
	fakeProc(t, map[int][2]string{12: {"billing-api", ""}})
	p, err := Open(12)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.EvalSymlinks(p.Root())
	if err != nil {
		t.Fatal(err)
	}
	vol := filepath.Join(root, "run/secrets/eks.amazonaws.com/serviceaccount")
	ts := "..2026_01_02_03_04_05.123456789"
	must(t, os.MkdirAll(filepath.Join(vol, ts), 0o755))
	must(t, os.WriteFile(filepath.Join(vol, ts, "token"), []byte("a.b.c"), 0o600))
	must(t, os.Symlink(ts, filepath.Join(vol, "..data")))
	must(t, os.Symlink("..data/token", filepath.Join(vol, "token")))
	must(t, os.MkdirAll(filepath.Join(root, "var"), 0o755))
	must(t, os.Symlink("/run", filepath.Join(root, "var/run")))
	must(t, os.MkdirAll(filepath.Join(root, "app/sub path"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "app/copy"), []byte("a.b.c"), 0o600))
	must(t, os.WriteFile(filepath.Join(root, "app/sub path/token"), []byte("a.b.c"), 0o600))
	must(t, os.WriteFile(filepath.Join(p.Dir(), "mountinfo"), []byte(
		"1 0 0:30 / / rw,relatime - overlay overlay rw,lowerdir=/l\n"+
			"2 1 0:40 / /run/secrets/eks.amazonaws.com/serviceaccount ro,relatime - tmpfs tmpfs rw,size=1024k\n"+
			"3 1 0:40 /"+ts+"/token /app/sub\\040path/token ro,relatime - tmpfs tmpfs rw,size=1024k\n"+
			"garbage line\n"), 0o444))

	const volume = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
	for _, tc := range []struct {
		name, path string
		stale      string // substring; "" rotations reach it
		mountPoint string
	}{
		{"the webhook's mount", volume, "", "/run/secrets/eks.amazonaws.com/serviceaccount"},
		{"through ..data", "/var/run/secrets/eks.amazonaws.com/serviceaccount/..data/token", "", "/run/secrets/eks.amazonaws.com/serviceaccount"},
		{"relative to the working directory", "../run/secrets/eks.amazonaws.com/serviceaccount/token", "", "/run/secrets/eks.amazonaws.com/serviceaccount"},
		{"a copy", "/app/copy", "a regular file, not kubelet's projected layout (copy -> ..data/copy), on overlay mounted at /", "/"},
		{"a subPath mount", "/app/sub path/token", "a mount of its own (a subPath mount): mount point /app/sub path/token, root /" + ts + "/token (tmpfs), a file of the volume's timestamped directory", "/app/sub path/token"},
		{"the timestamped directory", "/var/run/secrets/eks.amazonaws.com/serviceaccount/" + ts + "/token", "names kubelet's timestamped directory " + ts, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm, err := p.TokenMount(tc.path, volume)
			if err != nil {
				t.Fatal(err)
			}
			if (tc.stale == "") != (tm.Stale == "") || !strings.Contains(tm.Stale, tc.stale) {
				t.Errorf("stale %q, want %q", tm.Stale, tc.stale)
			}
			if tc.mountPoint != "" && tm.MountPoint != tc.mountPoint {
				t.Errorf("mount point %q, want %q", tm.MountPoint, tc.mountPoint)
			}
		})
	}
	// The copy: its inode against the volume's file, seen in the same root.
	tm, err := p.TokenMount("/app/copy", volume)
	if err != nil {
		t.Fatal(err)
	}
	if tm.VolumePath != volume || tm.Inode == 0 || tm.Inode == tm.VolumeInode || !strings.Contains(tm.Stale, "its inode") {
		t.Errorf("copy: %+v", tm)
	}
	if _, err := p.TokenMount("/app/missing", volume); err == nil {
		t.Error("a missing file: no error")
	}
}

// FuzzMountinfo: mountinfo is the kernel's, but a path in it is any name
// a pod's spec gives; the parser never panics and unescapes what it reads.
func FuzzMountinfo(f *testing.F) {
	f.Add("3 1 0:40 /..2026_01_02/token /app/sub\\040path/token ro - tmpfs tmpfs rw\n")
	f.Add("1 0 0:30 / / rw - overlay overlay rw\n\\\\\\0")
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range parseMountinfo(s) {
			_ = holder([]mountEntry{m}, m.point+"/x")
		}
		_ = unescapeMount(s)
	})
}
