package serve

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Connection caps. Kubelet's probes and a Prometheus scrape need a handful;
// every connection costs about 20 KiB (buffers and a goroutine), so
// without a cap anything that can reach the port could hold thousands and
// push the sidecar past its memory limit.
//
// maxConns is the cap for connections that are idle or have waited
// longer than headerGrace for their request's headers. A connection
// younger than headerGrace is not evicted for a newcomer, so a kubelet
// probe, which sends its whole request as it connects, is answered even
// while slow clients (slowloris: headers a byte at a time) reconnect as
// fast as they are dropped; maxOpen bounds all connections, young or not
// (512 × 20 KiB: 10 MiB within serve's 32 MiB), and past it the
// longest-waiting goes whatever its age.
const (
	maxConns    = 64
	maxOpen     = 512
	headerGrace = 500 * time.Millisecond
)

// connLimiter keeps the connections within maxConns and maxOpen. When a
// new one passes a cap it closes another that is not being answered: the
// one idle longest, else the one that has waited longest for its
// request's headers. The newcomer is refused only when every other
// connection is being answered (each bounded by the server's read and
// write timeouts).
type connLimiter struct {
	max, hard int
	grace     time.Duration
	now       func() time.Time
	mu        sync.Mutex
	// open is every connection held that no eviction has closed: its
	// state and since when.
	open map[net.Conn]connState
}

type connState struct {
	state http.ConnState
	since time.Time
}

func newConnLimiter(max, hard int, grace time.Duration) *connLimiter {
	return &connLimiter{max: max, hard: hard, grace: grace, now: time.Now, open: map[net.Conn]connState{}}
}

// track is an http.Server ConnState hook.
func (l *connLimiter) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	var evict net.Conn
	switch state {
	case http.StateNew:
		now := l.now()
		l.open[c] = connState{state, now}
		switch {
		case len(l.open) > l.hard:
			evict = l.victim(c, now)
			if evict == nil {
				evict = c // all busy: refuse the newcomer
			}
		case len(l.open) > l.max:
			evict = l.victim(c, now.Add(-l.grace)) // nil: all young or busy, keep them
		}
		// Counted out now, not when the server reports it closed, so a
		// burst of newcomers evicts one connection each, not one each per
		// eviction still closing.
		delete(l.open, evict)
	case http.StateIdle, http.StateActive:
		if _, ok := l.open[c]; ok { // not already evicted
			l.open[c] = connState{state, l.now()}
		}
	case http.StateClosed, http.StateHijacked:
		delete(l.open, c)
	}
	l.mu.Unlock()
	if evict != nil {
		_ = evict.Close() // the server then reports it StateClosed
	}
}

// victim is the connection to close for newcomer: the one idle longest,
// else the one waiting longest for its request's headers since before
// waitedFrom; nil when there is none.
func (l *connLimiter) victim(newcomer net.Conn, waitedFrom time.Time) net.Conn {
	var idle, waiting net.Conn
	var idleSince, waitingSince time.Time
	for c, s := range l.open {
		switch {
		case c == newcomer:
		case s.state == http.StateIdle && (idle == nil || s.since.Before(idleSince)):
			idle, idleSince = c, s.since
		case s.state == http.StateNew && !s.since.After(waitedFrom) && (waiting == nil || s.since.Before(waitingSince)):
			waiting, waitingSince = c, s.since
		}
	}
	if idle != nil {
		return idle
	}
	return waiting
}
