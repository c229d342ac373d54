package poll

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// pollInterval is how often Eventually and WatchStatus look: often enough
// that tests do not wait long, seldom enough not to load the probe.
const pollInterval = 20 * time.Millisecond

// Eventually polls cond until it holds or d passes, and reports whether
// it held: how tests wait for a probe that runs on its own schedule.
func Eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
	return true
}

// StatusWatcher GETs a URL over and over, as kubelet probes a container,
// and counts the answers that were not 200.
type StatusWatcher struct {
	bad, total atomic.Int64
	done       chan struct{}
	finished   chan struct{}
}

// WatchStatus starts GETting url with client until Stop.
func WatchStatus(client *http.Client, url string) *StatusWatcher {
	w := &StatusWatcher{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(w.finished)
		for {
			select {
			case <-w.done:
				return
			case <-time.After(pollInterval):
			}
			resp, err := client.Get(url)
			w.total.Add(1)
			if err != nil || resp.StatusCode != http.StatusOK {
				w.bad.Add(1)
			}
			if resp != nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	return w
}

// Stop ends the watch and says how many answers were not 200, of how many.
func (w *StatusWatcher) Stop() (bad, total int64) {
	close(w.done)
	<-w.finished
	return w.bad.Load(), w.total.Load()
}
