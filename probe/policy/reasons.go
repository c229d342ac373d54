package policy

// Reason codes: stable, for scripts (--output json). Never rename one,
// only add.
const (
	CodeMalformed         = "policy-malformed"
	CodeExplicitDeny      = "explicit-deny"
	CodeNoAllowStatement  = "no-allow-statement"
	CodeActionMismatch    = "action-mismatch"
	CodePrincipalMismatch = "principal-mismatch"
	CodeKeySwapped        = "condition-key-swapped"
	CodeKeyMalformed      = "condition-key-malformed"
	CodeWildcard          = "wildcard-needs-stringlike"
	CodeSubjectMismatch   = "subject-mismatch"
	CodeAudienceMismatch  = "audience-mismatch"
	CodeUnsupported       = "condition-unsupported"
	// CodeOverlyBroad is a warning: the policy allows this pod, and any
	// other service account of the cluster too.
	CodeOverlyBroad = "overly-broad"
)

// Reason is why a line does not match (or, as a warning, why a match is
// too wide). Detail refines Code, e.g. principal-mismatch's "account".
type Reason struct {
	Code      string `json:"code"`
	Detail    string `json:"detail,omitempty"`
	Statement int    `json:"statement"` // -1: the document as a whole
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	Message   string `json:"message"`

	splices []splice // the edit that fixes it, if there is one
}

// splice replaces text[start:end] with text.
type splice struct {
	start, end int
	text       string
}
