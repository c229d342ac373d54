package policy

import (
	"strings"
	"testing"
)

// TestRemove drops statements and keeps every other byte: the Sids left,
// in order, and the text of each kept statement unchanged.
func TestRemove(t *testing.T) {
	const doc = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "A", "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"},
    {"Sid": "B", "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:TagSession"},
    {"Sid": "C", "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"},
    {"Sid": "D", "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
  ]
}`
	d, err := Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		drop []int
		want string
	}{
		{[]int{0}, "BCD"}, {[]int{1}, "ACD"}, {[]int{3}, "ABC"}, {[]int{0, 1}, "CD"}, {[]int{1, 0}, "CD"},
		{[]int{0, 2}, "BD"}, {[]int{1, 2, 3}, "A"}, {[]int{0, 1, 2}, "D"}, {[]int{0, 0}, "BCD"}, {nil, "ABCD"},
	} {
		text, err := Remove(d, tc.drop...)
		if err != nil {
			t.Errorf("Remove(%v): %v", tc.drop, err)
			continue
		}
		got, err := Load([]byte(text))
		if err != nil {
			t.Errorf("Remove(%v) does not parse: %v\n%s", tc.drop, err, text)
			continue
		}
		var sids strings.Builder
		for _, s := range got.Statements {
			sids.WriteString(s.Sid)
			raw := text[s.n.start:s.n.end]
			if !strings.Contains(doc, raw) {
				t.Errorf("Remove(%v) changed statement %s: %s", tc.drop, s.Sid, raw)
			}
		}
		if sids.String() != tc.want {
			t.Errorf("Remove(%v) kept %s, want %s:\n%s", tc.drop, sids.String(), tc.want, text)
		}
	}
	if _, err := Remove(d, 0, 1, 2, 3); err == nil {
		t.Error("removing every statement must be refused")
	}
	if _, err := Remove(d, 7); err == nil {
		t.Error("a statement that does not exist must be refused")
	}
}
