package verdict

import "testing"

func TestVerdictContract(t *testing.T) {
	for _, tc := range []struct {
		v                 Verdict
		exit              int
		word, label, name string
	}{
		{OK, 0, "OK", "ok", "ok"},
		{Broken, 1, "FAIL", "broken", "broken"},
		{Undecided, 3, "UNDECIDED", "indeterminate", "undecided"},
	} {
		if got := tc.v.ExitCode(); got != tc.exit {
			t.Errorf("%v.ExitCode() = %d, want %d", tc.v, got, tc.exit)
		}
		if got := tc.v.Word(); got != tc.word {
			t.Errorf("%v.Word() = %q, want %q", tc.v, got, tc.word)
		}
		if got := tc.v.Label(); got != tc.label {
			t.Errorf("%v.Label() = %q, want %q", tc.v, got, tc.label)
		}
		if got := tc.v.String(); got != tc.name {
			t.Errorf("String() = %q, want %q", got, tc.name)
		}
	}
}

func TestExitCodesDistinct(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range []int{ExitOK, ExitBroken, ExitUsage, ExitUndecided} {
		if seen[c] {
			t.Fatalf("exit code %d used twice", c)
		}
		seen[c] = true
	}
}

func TestWorse(t *testing.T) {
	for _, tc := range []struct{ a, b, want Verdict }{
		{OK, OK, OK}, {OK, Undecided, Undecided}, {Undecided, OK, Undecided},
		{Undecided, Broken, Broken}, {Broken, Undecided, Broken}, {Broken, OK, Broken},
	} {
		if got := tc.a.Worse(tc.b); got != tc.want {
			t.Errorf("%v.Worse(%v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
