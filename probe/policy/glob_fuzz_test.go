package policy

import (
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// FuzzGlob pits glob against ststest's GlobMatch, a regular-expression
// translation written apart from it: the trust-policy evaluators
// cross-check each other, so their matchers must agree on every pattern
// and string, multi-byte and invalid UTF-8 included.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"*", ""}, {"a*c", "abbbc"}, {"a?c", "ac"}, {"**a", "bba"},
		{"system:serviceaccount:*:billing-api", "system:serviceaccount:payments:billing-api"},
		{"a.c", "abc"}, {"?", "é"}, {"*\n", "x\n"}, {"\xff", "\xfe"}, {"a*b*c", "aXbYbZc"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 256 || len(s) > 256 {
			return
		}
		if got, want := glob(pattern, s), ststest.GlobMatch(pattern, s); got != want {
			t.Errorf("glob(%q, %q) = %v, ststest.GlobMatch = %v", pattern, s, got, want)
		}
	})
}
