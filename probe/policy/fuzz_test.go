package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: whatever bytes arrive (it reads stdin), Load returns a document
// or a positioned error, never panics, and Explain on what it returns
// proposes only edits that parse and allow. Seeds: testdata/fuzz/FuzzLoad
// and the whole corpus.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	req := corpusRequest(false)
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Load(b)
		if err != nil {
			if me := asMalformed(err); me == nil || me.Line < 1 || me.Column < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		e := Explain(doc, req)
		if e.Edit != nil {
			d, err := parsePolicyText(e.Edit.Policy, doc.Form)
			if err != nil {
				t.Fatalf("the edit does not parse: %v\n%s", err, e.Edit.Policy)
			}
			if Explain(d, req).Verdict != Allows {
				t.Fatalf("the edit does not allow:\n%s", e.Edit.Policy)
			}
		}
		_ = (&Report{Explanation: e, Doc: doc, Request: req, RoleName: "r"}).Text()
	})
}
