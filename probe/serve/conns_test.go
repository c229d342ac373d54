package serve

import (
	"net"
	"net/http"
	"testing"
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
	l := newConnLimiter(2)
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
	if l.open != 2 || len(l.idle) != 0 {
		t.Errorf("open %d, idle %d; want 2, 0", l.open, len(l.idle))
	}
}
