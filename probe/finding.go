package probe

import (
	"fmt"
	"sort"
)

// Severity says what a finding means for the verdict and the exit code.
type Severity string

const (
	// SeverityError: the identity is broken (exit 1).
	SeverityError Severity = "error"
	// SeverityIndeterminate: the probe could not decide, e.g. STS was
	// unreachable or throttled (exit 3). Never counted as a broken identity.
	SeverityIndeterminate Severity = "indeterminate"
	// SeverityWarning: works now, but will not for long or not everywhere.
	SeverityWarning Severity = "warning"
)

// Code is a finding's stable identifier: scripts, alerts and the README key on it.
type Code string

// Evidence holds the values the probe saw, by key (see the Ev* constants).
// Never put a token, secret key or session token in it.
type Evidence map[string]string

// Evidence keys, shared by the catalog templates, the text and JSON output.
const (
	EvRole           = "role_arn"
	EvExpectedRole   = "expected_role_arn"
	EvGotARN         = "caller_arn"
	EvAccount        = "account"
	EvPartition      = "partition"
	EvRegion         = "region"
	EvTokenFile      = "token_file"
	EvIssuer         = "issuer"
	EvSTSIssuer      = "sts_issuer"
	EvSubject        = "sub"
	EvAudience       = "aud"
	EvExpectedAud    = "expected_aud"
	EvNamespace      = "namespace"
	EvServiceAccount = "service_account"
	EvExpectedSA     = "expected_service_account"
	EvPod            = "pod"
	EvExpiry         = "exp"
	EvIssuedAt       = "iat"
	EvNotBefore      = "nbf"
	EvNow            = "now"
	EvTimeLeft       = "time_left"
	EvClockSkew      = "clock_skew"
	EvErrorCode      = "error_code"
	EvErrorMessage   = "error_message"
	EvRequestID      = "request_id"
	EvEndpoint       = "endpoint"
	EvLayer          = "layer"
	EvProxy          = "proxy"
	EvSource         = "credential_source"
	EvDetail         = "detail"
	EvFileMode       = "file_mode"
	EvFileOwner      = "file_owner"
	EvProcessUser    = "process_user"
	EvFSGroup        = "fs_group"
	EvSignature      = "signature"
	EvHTTPStatus     = "http_status"
	EvARNValue       = "value"
	EvEnvVar         = "env_var"
)

// Finding is one diagnosed problem: what is wrong, what the probe saw, how to fix it.
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Evidence Evidence `json:"evidence,omitempty"`
	Fix      string   `json:"fix"`
}

// entry is one row of the diagnosis catalog. Message and Fix are
// fixTemplate sources rendered over the finding's Evidence.
type entry struct {
	Severity Severity
	Title    string // one line, for the README table
	Detected string // how the probe notices it, for the README table
	Message  string
	Fix      string

	message, fix *fixTemplate
}

// NewFinding renders the catalog entry for code over ev.
func NewFinding(code Code, ev Evidence) Finding {
	e, ok := catalog[code]
	if !ok {
		panic(fmt.Sprintf("probe: finding code %q is not in the catalog", code))
	}
	if ev == nil {
		ev = Evidence{}
	}
	return Finding{
		Code:     code,
		Severity: e.Severity,
		Message:  render(e.message, ev),
		Evidence: ev,
		Fix:      render(e.fix, ev),
	}
}

func render(t *fixTemplate, ev Evidence) string { return t.execute(ev) }

// CatalogEntry is the public view of a catalog row, for documentation.
type CatalogEntry struct {
	Code     Code
	Severity Severity
	Title    string
	Detected string
}

// Catalog lists every finding the probe can report, sorted by code.
func Catalog() []CatalogEntry {
	out := make([]CatalogEntry, 0, len(catalog))
	for c, e := range catalog {
		out = append(out, CatalogEntry{Code: c, Severity: e.Severity, Title: e.Title, Detected: e.Detected})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func init() {
	for c, e := range catalog {
		var err error
		if e.message, err = parseFixTemplate(string(c)+".message", e.Message); err != nil {
			panic(err)
		}
		if e.fix, err = parseFixTemplate(string(c)+".fix", e.Fix); err != nil {
			panic(err)
		}
		catalog[c] = e
	}
}
