package check

import (
	"fmt"
	"testing"
	"time"
)

// TestHumanLeftNeverPastTheClamp: a token clamped to the end of 9999 (the
// documented bound of a time claim) reads as the years until then, not
// as a time.Duration's saturated 292 years, and never more.
func TestHumanLeftNeverPastTheClamp(t *testing.T) {
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	end := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	var years int
	if got := humanLeft(end, now); func() error { _, err := fmt.Sscanf(got, "%d years", &years); return err }() != nil || years < 9999-2026-1 || years > 9999-2026+1 {
		t.Errorf("humanLeft(end of 9999) = %q, want the %d years until then", got, 9999-2026)
	}
	for _, c := range []struct {
		exp  time.Time
		want string
	}{
		{now.Add(10 * 365 * 24 * time.Hour), "10 years"},
		{now.Add(400 * 24 * time.Hour), "1 year"},
		{now.Add(3 * 24 * time.Hour), "3 days"},
		{now.Add(90 * time.Minute), "1h30m0s"},
	} {
		if got := humanLeft(c.exp, now); got != c.want {
			t.Errorf("humanLeft(%s) = %q, want %q", c.exp, got, c.want)
		}
	}
}
