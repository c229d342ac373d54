package check

import (
	"slices"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// Status is one step's outcome.
type Status string

const (
	StatusPass Status = "pass"
	StatusFail Status = "fail"
	StatusWarn Status = "warn"
	// StatusUndecided: the step could not decide (unreachable, throttled,
	// timed out). Its published value, in the report, is "unknown".
	StatusUndecided Status = "unknown"
	StatusSkip      Status = "skip"
)

// Step names, in the order a check runs them.
const (
	StepEnvironment    = "environment"
	StepToken          = "token"
	StepSignature      = "signature"
	StepAssumeRole     = "assume-role"
	StepCallerIdentity = "caller-identity"
	StepDefaultChain   = "default-chain"
	// StepMechanism decides which of EKS's identity mechanisms the pod is
	// set up for; StepPodIdentity is the Pod Identity path beside IRSA,
	// when both are set (see step_mechanism.go).
	StepMechanism   = "mechanism"
	StepPodIdentity = "pod-identity"
)

// StepOrder lists the steps in the order a check runs and reports them.
func StepOrder() []string {
	return []string{StepTarget, StepMechanism, StepEnvironment, StepToken, StepSignature, StepAssumeRole, StepCallerIdentity, StepPodIdentity, StepDefaultChain, StepAppSDK, StepTokenMount}
}

func stepIndex(step string) int { return slices.Index(StepOrder(), step) }

// StepResult is one recorded step.
type StepResult struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
}

// Identity is who STS says the pod is.
type Identity struct {
	ARN     string `json:"arn"`
	Account string `json:"account"`
	UserID  string `json:"userId"`
}

// Report is the outcome of one check; `check --output json` prints it and
// `serve` caches it.
type Report struct {
	// OK is Verdict() == verdict.OK, for JSON readers.
	OK       bool      `json:"ok"`
	Identity *Identity `json:"identity"`
	// Mechanism is how the pod gets its identity: irsa, pod-identity,
	// both or none (see Mechanism*).
	Mechanism string            `json:"mechanism"`
	Checks    []StepResult      `json:"checks"`
	Findings  []finding.Finding `json:"findings"`
	Token     *satoken.Token    `json:"token,omitempty"`
	RoleARN   string            `json:"roleArn,omitempty"`
	Region    string            `json:"region,omitempty"`
	CheckedAt time.Time         `json:"checkedAt"`
	// DurationMS is how long the check took, retries included.
	DurationMS int64 `json:"durationMs"`
	// Target is the application process of check --target, and AppSDKs
	// the AWS SDK packages found in it (step_target.go).
	Target  *TargetReport  `json:"target,omitempty"`
	AppSDKs []appsdk.Found `json:"appSdks,omitempty"`
	// CredentialsExpiry is when the assumed credentials expire (serve refreshes before).
	CredentialsExpiry time.Time `json:"credentialsExpiry,omitzero"`

	verdict verdict.Verdict
}

// Decide settles the verdict, once, from the findings: warnings do not
// make an identity broken. Run calls it; a Report built by hand (a test's)
// must call it before it is read.
func (r *Report) Decide() {
	if r.Findings == nil {
		r.Findings = []finding.Finding{}
	}
	r.verdict = finding.Verdict(r.Findings)
	r.OK = r.verdict == verdict.OK
}

// Verdict is the check's outcome.
func (r *Report) Verdict() verdict.Verdict { return r.verdict }

// ExitCode is the exit code `check` returns for this report.
func (r *Report) ExitCode() int { return r.verdict.ExitCode() }

// FirstProblem is the finding a one-line summary leads with: errors first.
func (r *Report) FirstProblem() *finding.Finding {
	for _, sev := range []finding.Severity{finding.SeverityError, finding.SeverityUndecided, finding.SeverityWarning} {
		for i := range r.Findings {
			if r.Findings[i].Severity == sev {
				return &r.Findings[i]
			}
		}
	}
	return nil
}

// Step is the recorded outcome of the step called name.
func (r *Report) Step(name string) (StepResult, bool) {
	for _, s := range r.Checks {
		if s.Name == name {
			return s, true
		}
	}
	return StepResult{}, false
}

// Has reports whether a finding with code is present.
func (r *Report) Has(code finding.Code) bool {
	for i := range r.Findings {
		if r.Findings[i].Code == code {
			return true
		}
	}
	return false
}
