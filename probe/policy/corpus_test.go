package policy

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// corpusRequest is the identity of ststest's real token valid-irsa.jwt.
func corpusRequest(podIdentity bool) Request {
	return Request{
		Partition: "aws", Account: ststest.DefaultAccount, Issuer: ststest.RealEKSIssuerURL,
		Subject: "system:serviceaccount:payments:billing-api", Audience: ststest.DefaultAudience,
		PodIdentity: podIdentity,
	}
}

type corpusCase struct {
	file, mode, verdict string
	reasons, warnings   []string
	source              string
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "corpus", "expectations.txt"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(s string) []string {
		if s == "-" {
			return []string{}
		}
		return strings.Split(s, ",")
	}
	var out []corpusCase
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " | ")
		if len(f) != 6 {
			t.Fatalf("expectations.txt: %q has %d fields, want 6", line, len(f))
		}
		out = append(out, corpusCase{file: f[0], mode: f[1], verdict: f[2], reasons: list(f[3]), warnings: list(f[4]), source: f[5]})
	}
	if len(out) < 30 {
		t.Fatalf("the corpus has %d cases, want at least 30", len(out))
	}
	return out
}

func (c corpusCase) name() string { return c.file + "/" + c.mode }

func (c corpusCase) explain(t *testing.T) (*Document, *Explanation) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "corpus", c.file))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Load(raw)
	if err != nil {
		e, _ := Malformed(err)
		return nil, e
	}
	return doc, Explain(doc, corpusRequest(c.mode == "pod-identity"))
}

func codes(rs []Reason) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

// TestCorpus: every policy gets its expected verdict, reasons and
// warnings, and every denial but a malformed document an edit.
func TestCorpus(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c.name(), func(t *testing.T) {
			doc, e := c.explain(t)
			if string(e.Verdict) != c.verdict {
				t.Errorf("verdict %s, want %s (%s)", e.Verdict, c.verdict, c.source)
			}
			if got := codes(e.Reasons); !slices.Equal(got, c.reasons) {
				t.Errorf("reasons %v, want %v\n%+v", got, c.reasons, e.Reasons)
			}
			if got := codes(e.Warnings); !slices.Equal(got, c.warnings) {
				t.Errorf("warnings %v, want %v", got, c.warnings)
			}
			for _, r := range e.Reasons {
				if r.Line < 1 || r.Column < 1 || r.Message == "" {
					t.Errorf("reason %s without a position or message: %+v", r.Code, r)
				}
			}
			if doc != nil && e.Verdict == Denies && e.Reasons[0].Code != CodeUnsupported && e.Edit == nil {
				t.Errorf("denies without a minimal edit")
			}
		})
	}
}

// TestCorpusAgreesWithSTS: for every IRSA case, ststest's STS (its own
// trust-policy evaluator) accepts the real token exactly when Explain says
// allows; and every minimal edit, applied, is accepted by ststest and keeps
// the other statements byte for byte.
func TestCorpusAgreesWithSTS(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{RealEKSIssuer: true})
	t.Cleanup(st.Close)
	// A day after the real tokens were issued (see ststest's testdata).
	st.STS.SetNow(func() time.Time { return time.Unix(1795353509+24*3600, 0) })
	token := strings.TrimSpace(string(ststest.RealFile(ststest.TokenValidIRSA)))
	accepts := func(t *testing.T, policy string) bool {
		t.Helper()
		if err := st.STS.PutRole(st.RoleARN, policy); err != nil {
			return false // IAM would not store it: nothing is allowed
		}
		return assumeWithSTS(t, st.STS.URL, st.RoleARN, token)
	}
	checked := 0
	for _, c := range loadCorpus(t) {
		if c.mode != "irsa" {
			continue
		}
		t.Run(c.file, func(t *testing.T) {
			doc, e := c.explain(t)
			policy := ""
			if doc != nil {
				policy = doc.Text
			} else {
				raw, _ := os.ReadFile(filepath.Join("testdata", "corpus", c.file))
				policy = string(raw)
			}
			if got := accepts(t, policy); got != (e.Verdict == Allows) {
				t.Fatalf("ststest accepts = %v, explain says %s", got, e.Verdict)
			}
			checked++
			if e.Edit == nil {
				return
			}
			if !accepts(t, e.Edit.Policy) {
				t.Fatalf("ststest refuses the edited policy:\n%s", e.Edit.Policy)
			}
			keptByteForByte(t, doc, e.Edit)
		})
	}
	if checked < 30 {
		t.Errorf("cross-checked %d IRSA cases, want at least 30", checked)
	}
}

// keptByteForByte checks, independently of how Edit computed Changed,
// that each statement not listed there is in the edited text unchanged.
func keptByteForByte(t *testing.T, doc *Document, ed *Edit) {
	t.Helper()
	edited, err := parsePolicyText(ed.Policy, doc.Form)
	if err != nil {
		t.Fatal(err)
	}
	var after []string
	for _, s := range edited.Statements {
		after = append(after, ed.Policy[s.n.start:s.n.end])
	}
	for _, s := range doc.Statements {
		if slices.Contains(ed.Changed, s.Index) {
			continue
		}
		if raw := doc.Text[s.n.start:s.n.end]; !slices.Contains(after, raw) {
			t.Errorf("statement %d is not kept byte for byte:\n%s", s.Index, raw)
		}
	}
	if len(ed.Changed) >= len(doc.Statements) && len(doc.Statements) > 1 {
		t.Errorf("the edit changes every statement (%v): not minimal", ed.Changed)
	}
}

// assumeWithSTS calls AssumeRoleWithWebIdentity as the SDK does (a form
// POST) and reports whether STS issued credentials.
func assumeWithSTS(t *testing.T, endpoint, roleARN, token string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
		"RoleArn": {roleARN}, "RoleSessionName": {"corpus"}, "WebIdentityToken": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == http.StatusOK:
		return true
	case res.StatusCode == http.StatusForbidden && strings.Contains(string(body), "<Code>AccessDenied</Code>"):
		return false
	}
	t.Fatalf("STS answered %d, not a trust-policy decision:\n%s", res.StatusCode, body)
	return false
}

// TestCorpusPodIdentityAgreesWithEKSAuth: for every Pod Identity case,
// ststest's Pod Identity agent (which plays EKS Auth, with ststest's own
// trust-policy evaluator and the session tags EKS sets) hands out
// credentials for the real Pod Identity token exactly when Explain says
// allows; every minimal edit, applied, is accepted too.
func TestCorpusPodIdentityAgreesWithEKSAuth(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{PodIdentity: true})
	t.Cleanup(st.Close)
	st.STS.SetNow(func() time.Time { return time.Unix(1795353509+24*3600, 0) })
	// The corpus's cluster (pod-identity-conditions.json names it).
	st.Agent.ClusterName = "prod"
	token := strings.TrimSpace(string(ststest.RealFile(ststest.TokenPodIdentity)))
	accepts := func(t *testing.T, policy string) bool {
		t.Helper()
		if err := st.STS.PutRole(st.RoleARN, policy); err != nil {
			return false
		}
		return credentialsFromAgent(t, st.Agent.URL, token)
	}
	checked := 0
	for _, c := range loadCorpus(t) {
		if c.mode != "pod-identity" {
			continue
		}
		t.Run(c.file, func(t *testing.T) {
			doc, e := c.explain(t)
			if doc == nil {
				t.Skip("malformed: nothing to store")
			}
			if got := accepts(t, doc.Text); got != (e.Verdict == Allows) {
				t.Fatalf("the agent hands out credentials = %v, explain says %s", got, e.Verdict)
			}
			checked++
			if e.Edit != nil && !accepts(t, e.Edit.Policy) {
				t.Fatalf("the agent refuses the edited policy:\n%s", e.Edit.Policy)
			}
		})
	}
	if checked < 5 {
		t.Errorf("cross-checked %d Pod Identity cases, want at least 5", checked)
	}
}

// credentialsFromAgent asks the agent for credentials as the SDKs do and
// reports whether it gave them.
func credentialsFromAgent(t *testing.T, url, token string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	switch {
	case res.StatusCode == http.StatusOK:
		return true
	case res.StatusCode == http.StatusBadRequest && strings.Contains(string(body), "AccessDeniedException"):
		return false
	}
	t.Fatalf("the agent answered %d: %s", res.StatusCode, body)
	return false
}
