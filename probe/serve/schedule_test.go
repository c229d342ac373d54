package serve

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
)

func TestSchedulerNext(t *testing.T) {
	const refresh = 5 * time.Minute
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	done := t0.Add(2 * time.Second)
	withCreds := func(left time.Duration) *check.Report {
		r := okReport()
		r.CredentialsExpiry = t0.Add(left)
		return r
	}
	withToken := func(left time.Duration) *check.Report {
		r := okReport()
		r.Token = &satoken.Token{Expiry: t0.Add(left)}
		return r
	}
	tests := []struct {
		name string
		rand float64
		// throttledBefore is how many checks STS throttled in a row before this one.
		throttledBefore int
		rep             *check.Report
		want            time.Duration // after t0
	}{
		{"refresh, jitter at its low end", 0, 0, okReport(), 270 * time.Second},
		{"refresh, no jitter", 0.5, 0, okReport(), refresh},
		{"refresh, jitter at its high end", 1, 0, okReport(), 330 * time.Second},
		{"broken: same schedule", 0.5, 0, brokenReport(), refresh},
		{"first throttled check: normal period", 0.5, 0, throttledReport(), refresh},
		{"second throttled check: doubled", 0.5, 1, throttledReport(), 2 * refresh},
		{"third throttled check: quadrupled", 0.5, 2, throttledReport(), 4 * refresh},
		{"throttling never stretches past 4x", 0.5, 40, throttledReport(), 4 * refresh},
		{"throttling over: back to normal", 0.5, 3, okReport(), refresh},
		{"credentials expiring before the refresh", 0.5, 0, withCreds(3 * time.Minute), 3*time.Minute - 45*time.Second},
		{"credentials of an hour: refresh wins", 0.5, 0, withCreds(time.Hour), refresh},
		{"credentials long-lived, refresh long too", 0.5, 0, withCreds(20 * time.Minute), refresh},
		{"token expiring before the refresh", 0.5, 0, withToken(time.Minute), time.Minute + time.Second},
		{"token already expired: not pulled in", 0.5, 0, withToken(-time.Minute), refresh},
		{"never sooner than minGap after the last check", 0.5, 0, withToken(time.Second), 2*time.Second + 30*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scheduler{refresh: refresh, throttled: tt.throttledBefore, rand: func() float64 { return tt.rand }}
			got := s.next(tt.rep, t0, done).Sub(t0)
			if got != tt.want {
				t.Errorf("next check in %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSchedulerMinGap(t *testing.T) {
	for _, tt := range []struct{ refresh, want time.Duration }{
		{5 * time.Minute, 30 * time.Second},
		{time.Minute, 6 * time.Second},
		{500 * time.Millisecond, 50 * time.Millisecond},
	} {
		s := scheduler{refresh: tt.refresh}
		if got := s.minGap(); got != tt.want {
			t.Errorf("minGap for refresh %s = %s, want %s", tt.refresh, got, tt.want)
		}
	}
}

func TestSchedulerEarly(t *testing.T) {
	s := scheduler{refresh: 5 * time.Minute}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	due := t0.Add(5 * time.Minute)
	tests := []struct {
		name          string
		lastDone, now time.Time
		want          time.Time
	}{
		{"rotated long after the last check: now", t0, t0.Add(time.Minute), t0.Add(time.Minute)},
		{"rotated just after a check: minGap later", t0, t0.Add(time.Second), t0.Add(30 * time.Second)},
		{"never later than already due", t0, t0.Add(6 * time.Minute), due},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.early(due, tt.lastDone, tt.now); !got.Equal(tt.want) {
				t.Errorf("early = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestTokenWatch covers how kubelet and people replace the file: in place,
// by renaming over it, by swapping the ..data symlink, and by deleting it.
func TestTokenWatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The layout of a projected volume: token -> ..data/token, ..data -> ..v1.
	for _, d := range []string{"..v1", "..v2"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("..v1/token", "token-one")
	write("..v2/token", "token-two")
	mustSymlink(t, "..v1", filepath.Join(dir, "..data"))
	mustSymlink(t, "..data/token", filepath.Join(dir, "token"))

	w := tokenWatch{path: filepath.Join(dir, "token")}
	w.mark(time.Now())
	if w.observe(time.Now()) {
		t.Fatal("changed right after mark")
	}
	steps := []struct {
		name   string
		do     func()
		change bool
	}{
		{"nothing happened", func() {}, false},
		{"kubelet swaps the ..data symlink", func() {
			mustSymlink(t, "..v2", filepath.Join(dir, "..data.tmp"))
			if err := os.Rename(filepath.Join(dir, "..data.tmp"), filepath.Join(dir, "..data")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"rewritten in place with the same content", func() { write("..v2/token", "token-two") }, false},
		{"rewritten in place", func() { write("..v2/token", "token-three") }, true},
		{"deleted", func() {
			if err := os.Remove(filepath.Join(dir, "..v2/token")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"still missing", func() {}, false},
		{"back", func() { write("..v2/token", "token-four") }, true},
	}
	for _, s := range steps {
		s.do()
		if got := w.observe(time.Now()); got != s.change {
			t.Errorf("%s: changed = %v, want %v", s.name, got, s.change)
		}
		w.mark(time.Now())
	}
	if (&tokenWatch{}).observe(time.Now()) {
		t.Error("a watch without a path reported a change")
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
