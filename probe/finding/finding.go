package finding

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// Severity says what a finding means for the verdict and the exit code.
type Severity string

const (
	// SeverityError: the identity is broken (verdict Broken, exit 1).
	SeverityError Severity = "error"
	// SeverityUndecided: the probe could not decide, e.g. STS was
	// unreachable or throttled (verdict Undecided, exit 3). Its published
	// value, in JSON and on the severity label, is "indeterminate".
	SeverityUndecided Severity = "indeterminate"
	// SeverityWarning: works now, but will not for long or not everywhere
	// (verdict OK, exit 0).
	SeverityWarning Severity = "warning"
)

// Verdict is what a finding of this severity makes of a check.
func (s Severity) Verdict() verdict.Verdict {
	switch s {
	case SeverityError:
		return verdict.Broken
	case SeverityUndecided:
		return verdict.Undecided
	}
	return verdict.OK
}

// Word is the severity as the text report heads a finding with it: ERROR,
// UNDECIDED or WARNING, the words of the verdict line.
func (s Severity) Word() string {
	if s == SeverityUndecided {
		return "UNDECIDED"
	}
	return strings.ToUpper(string(s))
}

// Code is a finding's stable identifier: scripts, alerts and the README key on it.
type Code string

// Finding is one diagnosed problem: what is wrong, what the probe saw, how to fix it.
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Evidence Evidence `json:"evidence,omitempty"`
	Fix      string   `json:"fix"`
}

// Verdict is the verdict of a check that found fs: the worst of their
// severities' verdicts, OK when there are none.
func Verdict(fs []Finding) verdict.Verdict {
	v := verdict.OK
	for _, f := range fs {
		v = v.Worse(f.Severity.Verdict())
	}
	return v
}

// entry is one row of the diagnosis catalog. Message and Fix are
// template sources rendered over the finding's Evidence.
type entry struct {
	Severity Severity
	Title    string // one line, for the README table
	Detected string // how the probe notices it, for the README table
	Message  string
	Fix      string

	message, fix *template
}

// New renders the catalog entry for code over ev. Empty evidence values
// are dropped: they mean "not known", and the templates fill placeholders.
// Values are escaped (Escape): they come from outside, and the message and
// fix are printed as lines.
func New(code Code, ev Evidence) Finding {
	compileCatalog()
	e, ok := catalog[code]
	if !ok {
		panic(fmt.Sprintf("finding: code %q is not in the catalog", code))
	}
	clean, raw := Evidence{}, Evidence{}
	for k, v := range ev {
		if v != "" {
			clean[k], raw[k] = Escape(v), v
		}
	}
	return Finding{
		Code:     code,
		Severity: e.Severity,
		Message:  e.message.execute(clean),
		Evidence: clean,
		Fix:      e.fix.executeShell(clean, raw),
	}
}

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

// compileCatalog compiles the catalog's templates, once, when the first
// finding is rendered: a passing check renders none and parses nothing.
// They are constants, so an error is a bug, and every test run finds it
// (TestCatalogCompiles).
var compileCatalog = sync.OnceFunc(func() {
	for c, e := range catalog {
		var err error
		if e.message, err = parseTemplate(string(c)+".message", e.Message); err != nil {
			panic(err)
		}
		if e.fix, err = parseTemplate(string(c)+".fix", e.Fix); err != nil {
			panic(err)
		}
		catalog[c] = e
	}
})

// Known reports whether code is in the catalog.
func Known(code Code) bool {
	_, ok := catalog[code]
	return ok
}
