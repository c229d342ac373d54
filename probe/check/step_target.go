package check

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/target"
)

// `check --target`: the check takes an application process's view. The
// CLI has already made the probe's environment the target's (target.Adopt)
// when it could read it; the target step says whose view this is, and the
// app-sdk step compares the application's own AWS SDK with the minimum
// for the mechanism found.

// Step names of a check with a target.
const (
	StepTarget = "target"
	StepAppSDK = "app-sdk"
)

// Target is the application process a check runs for.
type Target struct {
	// Process is the process read, nil when Err says why it was not.
	Process *target.Process
	// Err is why the process could not be read: the check stops there,
	// with nothing sent anywhere.
	Err error
	// Notes are what adopting its environment changed (a shared config
	// file not read).
	Notes []string
}

// TargetReport is the target in the report.
type TargetReport struct {
	PID     int      `json:"pid"`
	UID     int      `json:"uid"`
	Command []string `json:"command,omitempty"`
	Exe     string   `json:"exe,omitempty"`
	Picked  string   `json:"picked,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

// SetTarget makes the checks of c describe t's application process.
func (c *Checker) SetTarget(t *Target) { c.target = t }

// checkTarget is the target step; it returns false when the target could
// not be read, and the check must stop.
func (r *run) checkTarget() bool {
	t := r.target
	if t.Err != nil {
		ev := finding.Evidence{finding.EvDetail: t.Err.Error(), finding.EvProcessUser: target.Self()}
		var te *target.Error
		if errors.As(t.Err, &te) {
			if te.PID > 0 {
				ev[finding.EvTargetPID] = "pid " + strconv.Itoa(te.PID)
			}
			if te.UID > 0 {
				ev[finding.EvTargetUID] = strconv.Itoa(te.UID)
			}
		}
		r.add(StepTarget, finding.CodeTargetUnreadable, ev)
		r.record(StepTarget, StatusUndecided, t.Err.Error())
		return false
	}
	p := t.Process
	r.rep.Target = &TargetReport{PID: p.PID, UID: p.UID, Command: p.Args, Exe: p.Exe, Picked: p.Picked, Notes: t.Notes}
	detail := p.Describe() + ": its environment, and its files under " + p.Root()
	if p.Picked != "" {
		detail += "; " + p.Picked
	}
	for _, n := range t.Notes {
		detail += "; " + n
	}
	st := StatusPass
	if len(t.Notes) > 0 {
		st = StatusWarn
	}
	r.record(StepTarget, st, detail)
	return true
}

// checkAppSDK is the app-sdk step: the application's SDK against the
// minimum for mech. (The Pod Identity path swaps the run's Checker for one
// without the target: the process is passed.)
func (r *run) checkAppSDK(p *target.Process, mech string) {
	sdkMech, name := "", "no identity mechanism"
	switch mech {
	case iam.MechanismIRSA, iam.MechanismBoth: // with both, the SDKs use IRSA
		sdkMech, name = iam.MechanismIRSA, "IRSA"
	case iam.MechanismPodIdentity:
		sdkMech, name = iam.MechanismPodIdentity, "EKS Pod Identity"
	}
	found := appsdk.Detect(p.SDKProc(), sdkMech)
	r.rep.AppSDKs = found
	pid := "pid " + strconv.Itoa(p.PID)
	if len(found) == 0 {
		r.add(StepAppSDK, finding.CodeAppSDKUnknown, finding.Evidence{finding.EvTargetPID: pid, finding.EvMechanismName: name, finding.EvDetail: "executable " + p.Exe})
		r.record(StepAppSDK, StatusSkip, "no AWS SDK recognised in "+p.Exe)
		return
	}
	st := StatusPass
	var parts []string
	for _, f := range found {
		s := fmt.Sprintf("%s %s %s (%s)", f.Ecosystem, f.Package, f.Version, f.Where)
		switch {
		case f.TooOld:
			st = StatusFail
			s += ": older than " + f.Minimum + " for " + name
			r.add(StepAppSDK, finding.CodeAppSDKTooOld, finding.Evidence{
				finding.EvTargetPID: pid, finding.EvMechanismName: name, finding.EvSDKEcosystem: f.Ecosystem,
				finding.EvSDKPackage: f.Package, finding.EvSDKVersion: f.Version, finding.EvSDKMinimum: f.Minimum, finding.EvSDKWhere: f.Where,
			})
		case f.Minimum != "":
			s += ": supports " + name + " (" + f.Minimum + " or later)"
		}
		if d := f.RefreshDefect; d != nil {
			// Said even beside app-sdk-too-old: the minimum may be the
			// fix itself (botocore's), and this says what fails, and when.
			if st == StatusPass {
				st = StatusWarn
			}
			s += "; a known refresh defect (" + d.Upstream + ")"
			r.add(StepAppSDK, finding.CodeAppSDKRefreshDefect, finding.Evidence{
				finding.EvTargetPID: pid, finding.EvMechanismName: name, finding.EvSDKEcosystem: f.Ecosystem,
				finding.EvSDKPackage: f.Package, finding.EvSDKVersion: f.Version, finding.EvSDKWhere: f.Where,
				finding.EvSDKAffected: d.Affected(), finding.EvSDKFixed: d.Fixed, finding.EvSDKUpstream: d.Upstream, finding.EvSDKDefect: d.What,
			})
		}
		parts = append(parts, s)
	}
	r.record(StepAppSDK, st, strings.Join(parts, "; "))
}

// StepTokenMount is the step of check --target that follows the
// application's token file to its mount.
const StepTokenMount = "token-mount"

// checkTokenMount is the token-mount step: does kubelet's rotation of the
// projected volume reach the token file the application reads? It does
// through the volume's own layout (NAME -> ..data/NAME), swapped in one
// rename at every rotation; a subPath mount binds one timestamped file and
// keeps it, and a copy is never written again.
func (r *run) checkTokenMount(p *target.Process, mech string) {
	// The application's own value: the probe's configuration holds the
	// path as the probe opens it, through /proc/PID/root.
	name, volPath, volName := p.Getenv(iam.EnvTokenFile), iam.IRSATokenFile, iam.IRSAVolume
	if mech == iam.MechanismPodIdentity {
		name, volPath, volName = p.Getenv(iam.EnvAuthTokenFile), iam.PodIdentityTokenFile, iam.PodIdentityVolume
	}
	if name == "" {
		r.record(StepTokenMount, StatusSkip, "the application names no token file")
		return
	}
	tm, err := p.TokenMount(name, volPath)
	if err != nil {
		r.record(StepTokenMount, StatusSkip, "not read: "+err.Error())
		return
	}
	if tm.Stale == "" {
		r.record(StepTokenMount, StatusPass, fmt.Sprintf("%s: kubelet's projected layout (..data) on %s at %s: rotations reach it", name, tm.FSType, tm.MountPoint))
		return
	}
	source := "/proc/" + strconv.Itoa(p.PID) + "/mountinfo"
	if tm.VolumePath != "" {
		source += " and the file's inode against the volume's"
	}
	r.add(StepTokenMount, finding.CodeTokenMountNotRotated, finding.Evidence{
		finding.EvTargetPID: "pid " + strconv.Itoa(p.PID), finding.EvTokenFile: name, finding.EvDetail: tm.Stale,
		finding.EvMountSource: source, finding.EvMountPath: tm.MountPoint, finding.EvMountRoot: tm.MountRoot,
		finding.EvTokenDir: path.Dir(volPath), finding.EvTokenVolume: volName,
	})
	r.record(StepTokenMount, StatusWarn, name+": "+tm.Stale)
}
