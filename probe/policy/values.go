package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/suggest"
)

// Helpers over a policy's values (a condition's, a principal's), as
// the reasons quote and compare them.

func stmtName(s *Statement) string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %d (Sid %q)", s.Index, s.Sid)
	}
	return fmt.Sprintf("statement %d", s.Index)
}

func principalText(p Principal) string {
	var parts []string
	if p.Any && len(p.AWS) == 0 {
		return "*"
	}
	for _, g := range []struct {
		kind string
		vals []Value
	}{{"Federated", p.Federated}, {"Service", p.Service}, {"AWS", p.AWS}, {"CanonicalUser", p.CanonicalUsers}} {
		if len(g.vals) > 0 {
			parts = append(parts, g.kind+" "+joinValues(g.vals, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func joinValues(vals []Value, sep string) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = v.S
	}
	return strings.Join(s, sep)
}

func quoteValues(vals []Value) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = strconv.Quote(v.S)
	}
	return strings.Join(s, " | ")
}

func anyLooksLikeSubject(vals []Value) bool {
	for _, v := range vals {
		if strings.HasPrefix(v.S, "system:serviceaccount:") {
			return true
		}
	}
	return false
}

func anyEquals(vals []Value, s string) bool {
	for _, v := range vals {
		if v.S == s {
			return true
		}
	}
	return false
}

// anyGlobs: some value holds a wildcard and, as a pattern, matches s.
func anyGlobs(vals []Value, s string) bool {
	for _, v := range vals {
		if strings.ContainsAny(v.S, "*?") && glob(v.S, s) {
			return true
		}
	}
	return false
}

func closestValue(vals []Value, want string) Value {
	best, bestD := vals[0], -1
	for _, v := range vals {
		if d := distance(strings.ToLower(v.S), strings.ToLower(want)); bestD < 0 || d < bestD {
			best, bestD = v, d
		}
	}
	return best
}

// distance is the edit distance of two policy values, capped in cost:
// values from outside may be long, and a typo is a short distance anyway.
func distance(a, b string) int {
	if len(a) > 512 || len(b) > 512 {
		return max(len(a), len(b))
	}
	return suggest.Distance(a, b)
}
