package serve

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// pipeConn is one end of a pipe that records being closed.
type pipeConn struct {
	net.Conn
	closed bool
}

func (p *pipeConn) Close() error { p.closed = true; return p.Conn.Close() }

func newConn(t *testing.T) *pipeConn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return &pipeConn{Conn: a}
}

func TestConnLimiterEvictsTheOldestIdle(t *testing.T) {
	l := newConnLimiter(2, 2, 0)
	a, b, c, d := newConn(t), newConn(t), newConn(t), newConn(t)
	l.track(a, http.StateNew)
	l.track(a, http.StateIdle)
	l.track(b, http.StateNew)
	l.track(b, http.StateIdle)
	l.track(c, http.StateNew) // over the cap: a, idle longest, makes way
	if !a.closed || b.closed || c.closed {
		t.Fatalf("closed: a %v b %v c %v; want only a", a.closed, b.closed, c.closed)
	}
	l.track(a, http.StateClosed)
	l.track(b, http.StateActive)
	l.track(c, http.StateActive)
	l.track(d, http.StateNew) // all busy: the newcomer is refused
	if !d.closed || b.closed || c.closed {
		t.Fatalf("closed: b %v c %v d %v; want only d", b.closed, c.closed, d.closed)
	}
	l.track(d, http.StateClosed)
	if len(l.open) != 2 {
		t.Errorf("open %d; want 2", len(l.open))
	}
}

// TestConnLimiterEvictsTheSlowest: connections still sending their first
// request's headers (slowloris) make way for a newcomer, the longest
// waiting first, after any idle one; a connection being answered never.
func TestConnLimiterEvictsTheSlowest(t *testing.T) {
	l := newConnLimiter(3, 3, 0)
	busy, slow1, slow2, late, probe, next := newConn(t), newConn(t), newConn(t), newConn(t), newConn(t), newConn(t)
	l.track(busy, http.StateNew)
	l.track(busy, http.StateActive)
	l.track(slow1, http.StateNew)
	l.track(slow2, http.StateNew)
	l.track(probe, http.StateNew) // over the cap: slow1 waited longest
	if !slow1.closed || slow2.closed || busy.closed || probe.closed {
		t.Fatalf("closed: slow1 %v slow2 %v busy %v probe %v; want only slow1", slow1.closed, slow2.closed, busy.closed, probe.closed)
	}
	// The evicted connection's close arrives late; it must not count twice.
	l.track(probe, http.StateActive)
	l.track(probe, http.StateIdle)
	l.track(late, http.StateNew) // the probe, now idle, goes before slow2
	if !probe.closed || slow2.closed {
		t.Fatalf("closed: probe %v slow2 %v; want the idle one", probe.closed, slow2.closed)
	}
	l.track(slow1, http.StateClosed)
	l.track(probe, http.StateClosed)
	l.track(next, http.StateNew) // slow2 waited longer than late
	if !slow2.closed || late.closed || next.closed {
		t.Fatalf("closed: slow2 %v late %v next %v; want slow2", slow2.closed, late.closed, next.closed)
	}
	if len(l.open) != 3 {
		t.Errorf("open %d; want 3", len(l.open))
	}
}

// TestConnLimiterKeepsYoungConnections: past maxConns a connection younger
// than the grace is kept (a probe whose request is on its way), older
// waiting ones make way; past the hard cap age no longer protects.
func TestConnLimiterKeepsYoungConnections(t *testing.T) {
	now := time.Unix(0, 0)
	l := newConnLimiter(2, 4, time.Second)
	l.now = func() time.Time { return now }
	old, c2, c3, c4, c5, c6 := newConn(t), newConn(t), newConn(t), newConn(t), newConn(t), newConn(t)
	l.track(old, http.StateNew)
	now = now.Add(2 * time.Second)
	l.track(c2, http.StateNew)
	now = now.Add(time.Millisecond)
	l.track(c3, http.StateNew) // over 2: old has waited past the grace
	if !old.closed || c2.closed || c3.closed {
		t.Fatalf("closed: old %v c2 %v c3 %v; want old", old.closed, c2.closed, c3.closed)
	}
	now = now.Add(time.Millisecond)
	l.track(c4, http.StateNew) // over 2, all young: kept
	if c2.closed || c3.closed || c4.closed || len(l.open) != 3 {
		t.Fatalf("closed: c2 %v c3 %v c4 %v, open %d; want none closed, 3 open", c2.closed, c3.closed, c4.closed, len(l.open))
	}
	now = now.Add(time.Millisecond)
	l.track(c5, http.StateNew) // 4: the hard cap, still kept
	now = now.Add(time.Millisecond)
	l.track(c6, http.StateNew) // past the hard cap: the longest waiting goes
	if !c2.closed || c3.closed || c4.closed || c5.closed || c6.closed {
		t.Fatalf("closed: c2 %v c3 %v c4 %v c5 %v c6 %v; want c2", c2.closed, c3.closed, c4.closed, c5.closed, c6.closed)
	}
}
