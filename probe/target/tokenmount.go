package target

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// maxMountinfo caps /proc/PID/mountinfo: a pod's container has tens of
// mounts, a node's host namespace a few thousand lines of ~150 bytes.
const maxMountinfo = 4 << 20

// maxLinks bounds the symlinks followed resolving one path, as the
// kernel's MAXSYMLINKS does.
const maxLinks = 40

// kubeletTimestampDir is the name of the directory kubelet's AtomicWriter
// writes a projected volume's files into (pkg/volume/util/atomic_writer.go:
// "..2006_01_02_15_04_05." plus a random suffix); ..data links to the
// current one, and a rotation writes a new one and deletes the old.
var kubeletTimestampDir = regexp.MustCompile(`^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.`)

// TokenMount is how the application's token file reaches it, read from
// its root and /proc/PID/mountinfo: whether kubelet's rotation of the
// projected volume reaches the path it reads.
type TokenMount struct {
	// Path is the file as the application names it.
	Path string
	// Resolved is Path with its directories' symlinks resolved in the
	// application's root (its last element kept as named).
	Resolved string
	// MountPoint, MountRoot and FSType are the mount that holds Resolved
	// (mountinfo's fields 5, 4 and the filesystem type).
	MountPoint, MountRoot, FSType string
	// Inode is the file's, through the application's root.
	Inode uint64
	// VolumePath is the file of the webhook's mount of the token volume
	// in the application's root, when it is there and is not Path;
	// VolumeInode its inode.
	VolumePath  string
	VolumeInode uint64
	// Stale says why kubelet's rotation never reaches Path; empty when it
	// does (the projected layout: NAME -> ..data/NAME, on the volume's mount).
	Stale string
}

// TokenMount reads how name, a token file the application reads, reaches
// it; volumePath is where the EKS webhook mounts that token, for the
// inode comparison. An error means the file or mountinfo could not be
// read: nothing is known then.
func (p *Process) TokenMount(name, volumePath string) (*TokenMount, error) {
	if !path.IsAbs(name) {
		name = path.Join(p.Cwd, name)
	}
	name = path.Clean(name)
	root := p.Root()
	dir, err := resolveIn(root, path.Dir(name))
	if err != nil {
		return nil, err
	}
	tm := &TokenMount{Path: name, Resolved: path.Join(dir, path.Base(name))}
	raw, err := safefile.Read(filepath.Join(p.Dir(), "mountinfo"), maxMountinfo)
	if err != nil {
		return nil, p.denied("mountinfo", err)
	}
	mounts := parseMountinfo(string(raw))
	var self *mountEntry
	for i := range mounts {
		m := &mounts[i]
		if m.point == tm.Resolved {
			self = m // the file is a mount of its own; the last one wins
		}
	}
	if m := holder(mounts, tm.Resolved); m != nil {
		tm.MountPoint, tm.MountRoot, tm.FSType = m.point, m.root, m.fstype
	}
	host := filepath.Join(root, filepath.FromSlash(tm.Resolved))
	lfi, err := os.Lstat(host)
	if err != nil {
		return nil, fmt.Errorf("token file %s in pid %d's root: %w", name, p.PID, err)
	}
	if fi, err := os.Stat(host); err == nil {
		tm.Inode = inode(fi)
	}
	if volumePath != "" && path.Clean(volumePath) != name {
		if vdir, err := resolveIn(root, path.Dir(volumePath)); err == nil {
			vhost := filepath.Join(root, filepath.FromSlash(path.Join(vdir, path.Base(volumePath))))
			if fi, err := os.Stat(vhost); err == nil && projected(vhost) {
				tm.VolumePath, tm.VolumeInode = volumePath, inode(fi)
			}
		}
	}
	for _, el := range strings.Split(tm.Resolved, "/") {
		if kubeletTimestampDir.MatchString(el) {
			tm.Stale = fmt.Sprintf("the path names kubelet's timestamped directory %s, which the next rotation deletes", el)
			return tm, nil
		}
	}
	switch {
	case self != nil:
		tm.MountPoint, tm.MountRoot, tm.FSType = self.point, self.root, self.fstype
		tm.Stale = fmt.Sprintf("the file is a mount of its own (a subPath mount): mount point %s, root %s (%s)", self.point, self.root, self.fstype)
		if el := timestampIn(self.root); el != "" {
			tm.Stale += ", a file of the volume's timestamped directory " + el + ", which a rotation replaces and never updates"
		}
	case lfi.Mode()&fs.ModeSymlink != 0 && projected(host):
		return tm, nil // NAME -> ..data/NAME: kubelet's rotation swaps ..data
	case strings.Contains("/"+tm.Resolved+"/", "/..data/"):
		return tm, nil // through ..data itself: re-resolved on every open
	default:
		what := "a regular file"
		if lfi.Mode()&fs.ModeSymlink != 0 {
			what = "a symlink that does not go through ..data"
		}
		tm.Stale = fmt.Sprintf("%s, not kubelet's projected layout (%s -> ..data/%s), on %s mounted at %s: a copy, or a file kubelet never writes",
			what, path.Base(name), path.Base(name), orUnknown(tm.FSType), orUnknown(tm.MountPoint))
	}
	if tm.VolumePath != "" && tm.Inode != 0 && tm.Inode != tm.VolumeInode {
		tm.Stale += fmt.Sprintf("; its inode %d is not the volume's %s (inode %d)", tm.Inode, tm.VolumePath, tm.VolumeInode)
	}
	return tm, nil
}

// projected says whether host, a path this process can open, is a file of
// kubelet's projected layout: a symlink to ..data/NAME in its directory.
func projected(host string) bool {
	target, err := os.Readlink(host)
	return err == nil && path.Clean(target) == path.Join("..data", filepath.Base(host))
}

func timestampIn(p string) string {
	for _, el := range strings.Split(p, "/") {
		if kubeletTimestampDir.MatchString(el) {
			return el
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// resolveIn resolves the symlinks of dir, an absolute directory of the
// process whose root is root, as the process would: an absolute link
// target starts again from root, never from this process's root. A
// projected volume's ..data is kept (see below).
func resolveIn(root, dir string) (string, error) {
	todo := strings.Split(strings.TrimPrefix(path.Clean(dir), "/"), "/")
	cur := "/"
	links := 0
	for len(todo) > 0 {
		el := todo[0]
		todo = todo[1:]
		switch el {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, el)
		if el == "..data" {
			// Kept as named: the kernel resolves it again at every open,
			// which is what makes a rotation reach the reader.
			cur = next
			continue
		}
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(next)))
		if err != nil {
			return "", fmt.Errorf("resolving %s in the application's root: %w", dir, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("resolving %s in the application's root: %w", dir, errors.New("too many symlinks"))
		}
		target, err := os.Readlink(filepath.Join(root, filepath.FromSlash(next)))
		if err != nil {
			return "", fmt.Errorf("resolving %s in the application's root: %w", dir, err)
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		todo = append(strings.Split(strings.TrimPrefix(target, "/"), "/"), todo...)
	}
	return cur, nil
}

// mountEntry is one line of mountinfo.
type mountEntry struct {
	root, point, fstype string
}

// parseMountinfo reads proc(5)'s mountinfo: "id parent major:minor root
// mountpoint options [optional...] - fstype source superoptions", with
// spaces, tabs, newlines and backslashes in paths escaped as octal.
func parseMountinfo(s string) []mountEntry {
	var out []mountEntry
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(f) {
			continue
		}
		out = append(out, mountEntry{root: unescapeMount(f[3]), point: unescapeMount(f[4]), fstype: f[sep+1]})
	}
	return out
}

// holder is the mount Resolved lives on: the last mount (mounts stack in
// order) whose point is its longest directory prefix.
func holder(mounts []mountEntry, p string) *mountEntry {
	var best *mountEntry
	for i := range mounts {
		m := &mounts[i]
		if m.point == p {
			continue
		}
		if m.point == "/" || strings.HasPrefix(p, m.point+"/") {
			if best == nil || len(m.point) >= len(best.point) {
				best = m
			}
		}
	}
	return best
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
