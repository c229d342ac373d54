package serve

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// maxConns caps the connections serve holds open. Kubelet's probes and a
// Prometheus scrape need a handful; every idle keep-alive connection costs
// about 20 KiB (buffers and a goroutine), so without a cap anything that
// can reach the port could hold thousands and push the sidecar past its
// memory limit.
const maxConns = 64

// connLimiter keeps at most max connections open. When a new one would
// pass the cap it closes the one idle longest, so a probe that connects
// while the cap is reached is still answered: the idle connections of a
// flood make way, the probe does not wait. Only when all are busy (each
// bounded by the server's read and write timeouts) is the new one closed.
type connLimiter struct {
	max  int
	mu   sync.Mutex
	open int
	idle map[net.Conn]time.Time // idle connections, since when
}

func newConnLimiter(max int) *connLimiter {
	return &connLimiter{max: max, idle: map[net.Conn]time.Time{}}
}

// track is an http.Server ConnState hook.
func (l *connLimiter) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	var evict net.Conn
	switch state {
	case http.StateNew:
		l.open++
		if l.open > l.max {
			evict = l.oldestIdle()
			if evict == nil {
				evict = c // all busy: refuse the newcomer
			}
		}
	case http.StateIdle:
		l.idle[c] = time.Now()
	case http.StateActive:
		delete(l.idle, c)
	case http.StateClosed, http.StateHijacked:
		l.open--
		delete(l.idle, c)
	}
	l.mu.Unlock()
	if evict != nil {
		_ = evict.Close() // the server then reports it StateClosed
	}
}

// oldestIdle removes and returns the connection idle longest, or nil.
func (l *connLimiter) oldestIdle() net.Conn {
	var oldest net.Conn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	if oldest != nil {
		delete(l.idle, oldest)
	}
	return oldest
}
