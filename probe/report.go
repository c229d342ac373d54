package probe

import "time"

// Status is one step's outcome.
type Status string

const (
	StatusPass Status = "pass"
	StatusFail Status = "fail"
	StatusWarn Status = "warn"
	// StatusUnknown: the step could not decide (unreachable, throttled, timed out).
	StatusUnknown Status = "unknown"
	StatusSkip    Status = "skip"
)

// Step names, in the order a check runs them.
const (
	StepEnvironment    = "environment"
	StepToken          = "token"
	StepSignature      = "signature"
	StepAssumeRole     = "assume-role"
	StepCallerIdentity = "caller-identity"
	StepDefaultChain   = "default-chain"
)

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
	OK        bool         `json:"ok"`
	Identity  *Identity    `json:"identity"`
	Checks    []StepResult `json:"checks"`
	Findings  []Finding    `json:"findings"`
	Token     *Token       `json:"token,omitempty"`
	RoleARN   string       `json:"roleArn,omitempty"`
	Region    string       `json:"region,omitempty"`
	CheckedAt time.Time    `json:"checkedAt"`
	// DurationMS is how long the check took, retries included.
	DurationMS int64 `json:"durationMs"`
	// CredentialsExpiry is when the assumed credentials expire (serve refreshes before).
	CredentialsExpiry time.Time `json:"credentialsExpiry,omitempty"`
}

// ExitCode maps the verdict onto the documented exit codes.
func (r *Report) ExitCode() int {
	code := ExitOK
	for _, f := range r.Findings {
		switch f.Severity {
		case SeverityError:
			return ExitBroken
		case SeverityIndeterminate:
			code = ExitIndeterminate
		}
	}
	return code
}

// finalize sets OK from the findings: warnings do not make an identity broken.
func (r *Report) finalize() {
	r.OK = r.ExitCode() == ExitOK
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
}

// FirstProblem is the finding a one-line summary leads with: errors first.
func (r *Report) FirstProblem() *Finding {
	for _, sev := range []Severity{SeverityError, SeverityIndeterminate, SeverityWarning} {
		for i := range r.Findings {
			if r.Findings[i].Severity == sev {
				return &r.Findings[i]
			}
		}
	}
	return nil
}

// Has reports whether a finding with code is present.
func (r *Report) Has(code Code) bool {
	return r.find(code) != nil
}

func (r *Report) find(code Code) *Finding {
	for i := range r.Findings {
		if r.Findings[i].Code == code {
			return &r.Findings[i]
		}
	}
	return nil
}

func (r *Report) step(name string, st Status, detail string) {
	r.Checks = append(r.Checks, StepResult{Name: name, Status: st, Detail: detail})
}
