package finding

import (
	"strings"
	"testing"
)

func TestFixTemplate(t *testing.T) {
	ev := Evidence{EvNamespace: "payments", EvRole: "arn:aws:iam::111122223333:role/billing-api", EvIssuer: "https://oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5", EvAccount: "111122223333"}
	for _, tc := range []struct{ src, want string }{
		{"plain", "plain"},
		{"ns {{.namespace}}!", "ns payments!"},
		{"{{.pod}}", ""},
		{`{{d .pod "POD"}}`, "POD"},
		{`{{d .namespace "NS"}}`, "payments"},
		{`{{d .pod .namespace}}`, "payments"},
		{`{{ d  .pod  "a b}" }}`, "a b}"},
		{"{{if .namespace}}in {{.namespace}}{{end}}.", "in payments."},
		{"{{if .pod}}pod {{.pod}}{{end}}.", "."},
		{`{{if .namespace "payments"}}eq{{else}}ne{{end}}`, "eq"},
		{`{{if .namespace "billing"}}eq{{else}}ne{{end}}`, "ne"},
		{`{{if .pod}}set{{else}}unset{{end}}`, "unset"},
		{"{{roleName .role_arn}}", "billing-api"},
		{"{{roleName .pod}}", "ROLE_NAME"},
		{"{{issuerHost .issuer}}", "oidc.eks.us-west-2.amazonaws.com"},
		{"{{oidcProviderARN .}}", "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5"},
	} {
		tpl, err := parseTemplate("t", tc.src)
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if got := tpl.execute(ev); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestFixTemplateErrors(t *testing.T) {
	for _, src := range []string{
		"{{.a", "{{end}}", "{{if .a}}x", "{{if .a}}{{if .b}}{{end}}{{end}}", "{{nope .a}}", "{{trustPolicy .a}}",
		"{{roleName .}}", `{{d .a}}`, `{{d .a "x}}`, "{{}}", "{{.a .b}}", "{{if a}}{{end}}",
		"{{else}}", "{{if .a}}x{{else}}y{{else}}z{{end}}", "{{if .a}}x{{else}}y", `{{if .a b}}{{end}}`,
	} {
		if _, err := parseTemplate("t", src); err == nil {
			t.Errorf("%q parsed", src)
		}
	}
}

// TestCatalogRenders: every entry renders with no evidence (placeholders
// fill in) and with full evidence (the values appear), never leaving
// template syntax behind.
func TestCatalogRenders(t *testing.T) {
	full := Evidence{EvRole: "arn:aws:iam::111122223333:role/billing-api", EvExpectedRole: "arn:aws:iam::111122223333:role/billing-api",
		EvAccount: "111122223333", EvPartition: "aws", EvRegion: "us-west-2", EvIssuer: "https://oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5", EvSubject: "system:serviceaccount:payments:billing-api",
		EvNamespace: "payments", EvServiceAccount: "billing-api", EvPod: "billing-api-x", EvErrorCode: "Code", EvErrorMessage: "Msg", EvRequestID: "rid-1",
		EvTokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", EvEndpoint: "https://sts.us-west-2.amazonaws.com"}
	if len(Catalog()) < 26 {
		t.Fatalf("catalog has %d entries", len(Catalog()))
	}
	for _, e := range Catalog() {
		for _, ev := range []Evidence{{}, full} {
			f := New(e.Code, ev)
			if f.Message == "" || f.Fix == "" || e.Title == "" || e.Detected == "" {
				t.Errorf("%s: empty message, fix, title or detected", e.Code)
			}
			if strings.Contains(f.Message+f.Fix, "{{") || strings.Contains(f.Message+f.Fix, "<no value>") {
				t.Errorf("%s: template residue:\n%s\n%s", e.Code, f.Message, f.Fix)
			}
		}
		if e.Severity != SeverityError && e.Severity != SeverityWarning && e.Severity != SeverityUndecided && e.Severity != SeverityInfo {
			t.Errorf("%s: severity %q", e.Code, e.Severity)
		}
	}
}
