package target

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// Auto is the --target value that picks the container's main process.
const Auto = "auto"

// Caps on /proc files: the kernel bounds a process's arguments and
// environment together by a quarter of its stack limit (2 MiB by default).
const (
	maxEnviron = 2 << 20
	maxCmdline = 2 << 20
	maxStatus  = 64 << 10
)

// procDir is where procfs is mounted; a test lays out a fake one.
var procDir = "/proc"

// Process is the application process, as the probe read it.
type Process struct {
	PID      int
	UID, GID int    // real ids, from /proc/PID/status
	Comm     string // its name, from status
	Args     []string
	Exe      string // the executable's path inside its root
	Cwd      string // its working directory inside its root
	Env      []string
	// Picked says how --target=auto chose it; "" when a PID was given.
	Picked string
}

// Dir is /proc/PID.
func (p *Process) Dir() string { return filepath.Join(procDir, strconv.Itoa(p.PID)) }

// Root is /proc/PID/root: the process's root directory, its mounts (the
// projected token volume among them) as that container sees them.
func (p *Process) Root() string { return filepath.Join(p.Dir(), "root") }

// Getenv is the value of name in the process's environment.
func (p *Process) Getenv(name string) string {
	for _, kv := range p.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// Describe is the process for people: pid, command line (shortened) and uid.
func (p *Process) Describe() string {
	cmd := strings.Join(p.Args, " ")
	if cmd == "" {
		cmd = p.Comm
	}
	if len(cmd) > 80 {
		cmd = cmd[:77] + "..."
	}
	return fmt.Sprintf("pid %d (%q), uid %d", p.PID, cmd, p.UID)
}

// SDKProc is the process as package appsdk reads it.
func (p *Process) SDKProc() appsdk.Proc {
	env := map[string]string{}
	for _, kv := range p.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return appsdk.Proc{Root: p.Root(), Exe: p.Exe, ExeFile: filepath.Join(p.Dir(), "exe"), Cwd: p.Cwd, Args: p.Args, Env: env}
}

// Find resolves a --target value: a PID, or Auto.
func Find(spec string) (*Process, error) {
	if spec == Auto {
		return pickAuto()
	}
	pid, err := strconv.Atoi(spec)
	if err != nil || pid <= 0 {
		return nil, &Error{Kind: KindUsage, Err: fmt.Errorf("--target=%q: want a process id or %s", spec, Auto)}
	}
	return Open(pid)
}

// Open reads process pid. The probe itself is refused: its environment is
// not the application's.
func Open(pid int) (*Process, error) {
	if pid == os.Getpid() {
		return nil, &Error{PID: pid, Kind: KindUsage, Err: errors.New("that is irsa-probe itself; give the application's process id, or auto")}
	}
	p := &Process{PID: pid}
	dir := p.Dir()
	status, err := safefile.Read(filepath.Join(dir, "status"), maxStatus)
	if err != nil {
		return nil, classify(pid, "status", err)
	}
	p.Comm, p.UID, p.GID = parseStatus(status)
	raw, err := safefile.Read(filepath.Join(dir, "environ"), maxEnviron)
	if err != nil {
		return nil, p.denied("environ", err)
	}
	p.Env = splitNUL(raw)
	if b, err := safefile.Read(filepath.Join(dir, "cmdline"), maxCmdline); err == nil {
		p.Args = splitNUL(b)
	}
	if p.Cwd, err = os.Readlink(filepath.Join(dir, "cwd")); err != nil {
		return nil, p.denied("cwd", err)
	}
	if p.Exe, err = os.Readlink(filepath.Join(dir, "exe")); err != nil {
		return nil, p.denied("exe", err)
	}
	if _, err := os.Stat(p.Root()); err != nil {
		return nil, p.denied("root", err)
	}
	return p, nil
}

// denied is the error for a file of p the probe may not read.
func (p *Process) denied(file string, err error) error {
	e := classify(p.PID, file, err)
	var te *Error
	if errors.As(e, &te) {
		te.UID = p.UID
	}
	return e
}

// pickAuto is the container's main process: the lowest PID that is not
// the probe, another irsa-probe, or the sandbox's pause process. In a
// kubectl debug --target container that is PID 1; with
// shareProcessNamespace PID 1 is pause and the application comes after.
func pickAuto() (*Process, error) {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return nil, &Error{Kind: KindUsage, Err: fmt.Errorf("listing %s: %w", procDir, err)}
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	self, _ := os.Executable()
	var skipped []skip
	for _, pid := range pids {
		if pid == os.Getpid() {
			skipped = append(skipped, skip{pid, "irsa-probe", "this probe"})
			continue
		}
		status, err := safefile.Read(filepath.Join(procDir, strconv.Itoa(pid), "status"), maxStatus)
		if err != nil {
			continue // gone since the listing
		}
		comm, uid, _ := parseStatus(status)
		exe, _ := os.Readlink(filepath.Join(procDir, strconv.Itoa(pid), "exe"))
		switch {
		case comm == "pause":
			skipped = append(skipped, skip{pid, comm, whySandbox})
			continue
		case comm == "irsa-probe" || (exe != "" && exe == self):
			skipped = append(skipped, skip{pid, comm, "another irsa-probe"})
			continue
		}
		p, err := Open(pid)
		if err != nil {
			var te *Error
			if errors.As(err, &te) {
				te.UID = uid
				te.Auto = true
			}
			return nil, err
		}
		p.Picked = fmt.Sprintf("auto: pid %d (%s), the lowest pid", pid, comm)
		var before []string
		for _, s := range skipped {
			if s.why != "this probe" {
				before = append(before, fmt.Sprintf("%d (%s)", s.pid, s.comm))
			}
		}
		if len(before) > 0 {
			p.Picked += " after " + strings.Join(before, ", ")
		}
		return p, nil
	}
	if hidden, opt := hidepid(); hidden {
		return nil, &Error{Kind: KindHidden, Auto: true, Err: fmt.Errorf("%s is mounted with %s: other users' processes are invisible", procDir, opt)}
	}
	return nil, &Error{Kind: KindUsage, Auto: true, Err: noApplication(skipped)}
}

// skip is a process --target=auto passed over, and why.
type skip struct {
	pid  int
	comm string
	why  string
}

// whySandbox: pause is the pod sandbox's process, PID 1 of a PID
// namespace the pod's containers share.
const whySandbox = "the pod's sandbox"

// maxSkipsShown bounds the processes an error lists.
const maxSkipsShown = 8

// noApplication is --target=auto's error when every process was skipped:
// what it saw, and where the application's process went. With pause among
// them the namespace is the pod's, shared by its containers, so the
// application is not running; without, the probe is alone in a namespace
// of its own.
func noApplication(skipped []skip) error {
	var seen []string
	sandbox := false
	for i, s := range skipped {
		if i == maxSkipsShown {
			seen = append(seen, fmt.Sprintf("and %d more", len(skipped)-i))
			break
		}
		seen = append(seen, fmt.Sprintf("pid %d %s (%s)", s.pid, strconv.Quote(s.comm), s.why))
		sandbox = sandbox || s.why == whySandbox
	}
	msg := "--target=auto found no application process: this PID namespace holds " + strings.Join(seen, ", ") + ", each skipped"
	if sandbox {
		return errors.New(msg + "; it is the pod's shared PID namespace, where the application's process would show, so the application's container is not running: see its state and last termination with kubectl describe pod POD, and check again once it runs (or give --target=PID)")
	}
	return errors.New(msg + "; the probe is alone in a PID namespace of its own: run it in the application's, with kubectl debug POD --target=CONTAINER on a running CONTAINER, or in a pod with shareProcessNamespace: true")
}

// parseStatus reads Name and the real Uid and Gid of /proc/PID/status.
func parseStatus(b []byte) (comm string, uid, gid int) {
	uid, gid = -1, -1
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		switch {
		case k == "Name":
			comm = strings.TrimSpace(v)
		case k == "Uid" && len(f) > 0:
			uid, _ = strconv.Atoi(f[0])
		case k == "Gid" && len(f) > 0:
			gid, _ = strconv.Atoi(f[0])
		}
	}
	return comm, uid, gid
}

// splitNUL splits /proc's NUL-separated lists.
func splitNUL(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

// classify turns an error reading /proc/PID/file into an *Error.
func classify(pid int, file string, err error) error {
	e := &Error{PID: pid, File: file, Err: err}
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
		e.Kind = KindUsage
		if hidden, opt := hidepid(); hidden {
			e.Kind = KindHidden
			e.Err = fmt.Errorf("no process %d is visible: %s is mounted with %s, which hides other users' processes", pid, procDir, opt)
		} else {
			e.Err = fmt.Errorf("no process %d in this PID namespace", pid)
		}
	case errors.Is(err, fs.ErrPermission):
		e.Kind = KindPermission
	default:
		e.Kind = KindRefused
	}
	return e
}
