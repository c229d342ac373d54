package target

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// Kind says what stopped the probe from reading the target.
type Kind int

const (
	// KindUsage: not a process id, no such process, or the probe itself:
	// a usage error (exit 2).
	KindUsage Kind = iota
	// KindPermission: the process is another user's and the probe lacks
	// CAP_SYS_PTRACE.
	KindPermission
	// KindHidden: /proc is mounted with hidepid.
	KindHidden
	// KindRefused: a file was refused by safefile's rules (too large).
	KindRefused
)

// Error is a target the probe could not read.
type Error struct {
	PID  int
	File string // the /proc/PID file refused, "" when none
	Kind Kind
	UID  int  // the target's uid when known, else -1 or 0
	Auto bool // picked by --target=auto
	Err  error
}

func (e *Error) Error() string {
	if e.File == "" || e.Kind == KindUsage || e.Kind == KindHidden {
		return e.Err.Error()
	}
	return fmt.Sprintf("reading /proc/%d/%s: %v", e.PID, e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// capSysPtrace is CAP_SYS_PTRACE's bit in /proc/self/status's CapEff.
const capSysPtrace = 19

// Self describes the probe's own credentials for the evidence: its uid and
// gid, and whether it holds CAP_SYS_PTRACE.
func Self() string {
	s := fmt.Sprintf("uid=%d gid=%d", os.Getuid(), os.Getgid())
	if hasCap(capSysPtrace) {
		return s + ", CAP_SYS_PTRACE"
	}
	return s + ", without CAP_SYS_PTRACE"
}

func hasCap(bit uint) bool {
	b, err := safefile.Read(procDir+"/self/status", maxStatus)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && n&(1<<bit) != 0
		}
	}
	return false
}

// hidepid says whether procDir is mounted with hidepid (other than 0 or
// off), and the option as mounted.
func hidepid() (bool, string) {
	b, err := safefile.Read(procDir+"/self/mountinfo", 1<<20)
	if err != nil {
		return false, ""
	}
	return hidepidIn(string(b))
}

// hidepidIn reads a mountinfo for procfs at /proc mounted with hidepid.
func hidepidIn(mountinfo string) (bool, string) {
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		if len(f) < 10 || f[4] != procDir {
			continue
		}
		for _, opt := range strings.Split(f[len(f)-1], ",") {
			if v, ok := strings.CutPrefix(opt, "hidepid="); ok && v != "0" && v != "off" {
				return true, opt
			}
		}
	}
	return false, ""
}
