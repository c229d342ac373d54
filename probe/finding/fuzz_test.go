package finding

import (
	"strings"
	"testing"
)

// FuzzTemplate: any template source either fails to parse or renders over
// any evidence without panicking.
func FuzzTemplate(f *testing.F) {
	for _, e := range catalog {
		f.Add(e.Message, "payments")
		f.Add(e.Fix, "a\nb")
	}
	f.Add(`{{d .pod "POD"}} {{if .x}}{{.y}}{{end}}`, "v")
	f.Add(`{{if .a}}{{if .b}}{{end}}{{end}}`, "")
	f.Add(`{{roleName .role_arn}}{{oidcProviderARN .}}`, "arn:aws:iam::111122223333:role/x")
	f.Fuzz(func(t *testing.T, src, value string) {
		tpl, err := parseTemplate("fuzz", src)
		if err != nil {
			return
		}
		ev := Evidence{}
		for _, k := range keyOrder {
			ev[k] = value
		}
		_ = tpl.execute(ev)
	})
}

// FuzzCatalogValues: whatever a value from outside holds, every catalog
// entry renders with as many lines as with a plain value: no value can add
// a line to a message or a fix.
func FuzzCatalogValues(f *testing.F) {
	f.Add("arn:aws:iam::111122223333:role/billing-api")
	f.Add("x\nERROR fake-finding: forged")
	f.Add("\u2028\u202e\x1b[2J")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, value string) {
		for code := range catalog {
			plain, hostile := Evidence{}, Evidence{}
			for _, k := range keyOrder {
				plain[k], hostile[k] = "v", value
			}
			p, h := New(code, plain), New(code, hostile)
			if strings.Count(h.Message, "\n") != strings.Count(p.Message, "\n") || strings.Count(h.Fix, "\n") != strings.Count(p.Fix, "\n") {
				t.Fatalf("%s: value %q changed the number of lines:\n%s\n%s", code, value, h.Message, h.Fix)
			}
		}
	})
}
