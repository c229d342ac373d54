package policy

import (
	"errors"
	"fmt"
	"slices"
)

// Remove is doc's text without the statements at indexes, every other
// byte kept: the later half of a migration from IRSA to EKS Pod Identity
// drops the web identity statement once no pod uses it. Removing every
// statement is refused: IAM rejects a trust policy without one.
func Remove(doc *Document, indexes ...int) (string, error) {
	if len(indexes) == 0 {
		return doc.Text, nil
	}
	if len(doc.Statements) <= len(indexes) || doc.stmts == nil || doc.stmts.kind != 'a' {
		return "", errors.New("the policy would keep no statement")
	}
	sorted := slices.Clone(indexes)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	items := doc.stmts.items
	gone := map[int]bool{}
	for _, idx := range sorted {
		if idx < 0 || idx >= len(items) {
			return "", fmt.Errorf("no statement %d", idx)
		}
		gone[idx] = true
	}
	// Splices on the original text: a statement goes with the comma before
	// it; a leading run goes up to the first kept statement.
	var sp []splice
	first := 0
	for gone[first] {
		first++
	}
	if first > 0 {
		sp = append(sp, splice{items[0].start, items[first].start, ""})
	}
	for _, idx := range sorted {
		if idx > first {
			sp = append(sp, splice{items[idx-1].end, items[idx].end, ""})
		}
	}
	text := applySplices(doc.Text, sp)
	d, err := parsePolicyText(text, doc.Form)
	if err != nil || len(d.Statements) != len(doc.Statements)-len(sorted) {
		return "", fmt.Errorf("the policy without statements %v does not parse: %v", sorted, err)
	}
	return text, nil
}
