//go:build e2e

package framework

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ctr runs containerd's ctr against the cluster's containerd, in the CRI's
// namespace.
func (c *Cluster) ctr(ctx context.Context, args ...string) (string, error) {
	return c.ctrStdin(ctx, nil, args...)
}

// ctrStdin is ctr reading stdin.
func (c *Cluster) ctrStdin(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ctr", append([]string{"--address", c.ctrSock, "--namespace", "k8s.io"}, args...)...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// importImages imports the sandbox image and the application stand-in (both
// built here from the stand-in binary) and the project's image from make
// image's layout, packed as the release's tarball is.
func (c *Cluster) importImages(ctx context.Context) error {
	standin, err := os.ReadFile(c.opts.Artefacts.Bin["standin"])
	if err != nil {
		return err
	}
	for _, im := range []struct {
		ref, user string
		args      []string
	}{
		{PauseImage, "", []string{"pause"}},
		// nginx-unprivileged's user, as its image says.
		{AppImage, "101:101", []string{"serve", ":8080"}},
	} {
		path := c.path("images", strings.NewReplacer("/", "_", ":", "_").Replace(im.ref)+".tar")
		if err := writeStandinImage(path, im.ref, im.user, standin, im.args); err != nil {
			return err
		}
		if _, err := c.ctr(ctx, "images", "import", path); err != nil {
			return err
		}
	}
	tgz := c.path("images", "irsa-probe-image-oci.tar.gz")
	if err := tarGz(tgz, c.opts.Artefacts.ImageLayout); err != nil {
		return err
	}
	return c.importProjectImage(ctx, tgz)
}

// importProjectImage loads the release's image tarball as docs/image.md tells
// an air-gapped user to: gunzip -c TARBALL | ctr -n k8s.io images import
// --all-platforms - (containerd 1.6's ctr reads no gzip). It must register
// the manifests' image name and nothing else: a stray name (the nested
// index's, import-DATE:VERSION) made containerd 1.6's CRI fail every
// container of the image.
func (c *Cluster) importProjectImage(ctx context.Context, tgz string) error {
	before, err := c.ctr(ctx, "images", "list", "-q")
	if err != nil {
		return err
	}
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	if _, err := c.ctrStdin(ctx, zr, "images", "import", "--all-platforms", "-"); err != nil {
		return err
	}
	after, err := c.ctr(ctx, "images", "list", "-q")
	if err != nil {
		return err
	}
	old := map[string]bool{}
	for _, ref := range strings.Fields(before) {
		old[ref] = true
	}
	var added []string
	for _, ref := range strings.Fields(after) {
		// The CRI also lists each image by its config digest.
		if !old[ref] && !strings.HasPrefix(ref, "sha256:") {
			added = append(added, ref)
		}
	}
	if len(added) != 1 || added[0] != c.opts.ImageName {
		return fmt.Errorf("importing the image tarball registered %q, want only %q", added, c.opts.ImageName)
	}
	return nil
}

// writeStandinImage writes a one-layer linux/amd64 image holding the
// stand-in binary as its entrypoint /standin with cmd as arguments, run as
// user (the image's USER; "" for root), as a docker-archive tarball naming
// ref.
func writeStandinImage(path, ref, user string, binary []byte, cmd []string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	// nginx-unprivileged's users: the runtime takes a uid's group from the
	// image's /etc/passwd (the kubelet passes the image's uid alone).
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnginx:x:101:101:nginx:/nonexistent:/sbin/nologin\n")},
		{"etc/group", 0o644, []byte("root:x:0:\nnginx:x:101:\n")},
		{"standin", 0o755, binary},
	}
	if err := tw.WriteHeader(&tar.Header{Name: "etc/", Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
		return err
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layer.Bytes())), nil
	})
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config = v1.Config{Entrypoint: []string{"/standin"}, Cmd: cmd, User: user}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(path, tag, img)
}

// tarGz packs dir as make dist packs the image layout: the layout's files at
// the archive's root, gzip-compressed.
func tarGz(path, dir string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		hdr.Name = "./" + filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// killContainers kills and deletes every task containerd runs, so the
// shims exit with them.
func (c *Cluster) killContainers() error {
	ctx := context.Background()
	out, err := c.ctr(ctx, "tasks", "list", "-q")
	if err != nil {
		return err
	}
	for _, id := range strings.Fields(out) {
		_, _ = c.ctr(ctx, "tasks", "kill", "--signal", "SIGKILL", id)
	}
	for _, id := range strings.Fields(out) {
		_, _ = c.ctr(ctx, "tasks", "delete", "--force", id)
	}
	return nil
}

// stopShims kills, by pid, the runc shims this run's containerd started (a
// shim outlives containerd by design), found by their -address.
func (c *Cluster) stopShims() error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	for _, e := range entries {
		pid := 0
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid <= 1 {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 0 && strings.Contains(args[0], "containerd-shim") && containsPair(args, "-address", c.ctrSock) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return nil
}

func containsPair(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

// unmountUnder detaches every mount below dir, deepest first: the kubelet's
// token tmpfs and containerd's rootfs overlays, if the run ended before
// they were cleaned up (the mount namespace is the machine's).
func unmountUnder(dir string) error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			mounts = append(mounts, f[4])
		}
	}
	var errs []string
	for i := len(mounts) - 1; i >= 0; i-- {
		if err := syscall.Unmount(mounts[i], syscall.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
			errs = append(errs, fmt.Sprintf("%s: %v", mounts[i], err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("unmount: %s", strings.Join(errs, "; "))
	}
	return nil
}
