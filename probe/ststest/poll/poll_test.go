package poll

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestEventually(t *testing.T) {
	var n atomic.Int32
	if !Eventually(10*time.Second, func() bool { return n.Add(1) >= 3 }) || n.Load() != 3 {
		t.Errorf("a condition that holds on the third look: %d looks", n.Load())
	}
	if Eventually(50*time.Millisecond, func() bool { return false }) {
		t.Error("a condition that never holds held")
	}
}

func TestWatchStatus(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	w := WatchStatus(srv.Client(), srv.URL)
	if !Eventually(10*time.Second, func() bool { return n.Load() >= 4 }) {
		t.Fatal("fewer than 4 GETs in 10 s")
	}
	bad, total := w.Stop()
	if total < 4 || bad < 1 || bad >= total {
		t.Errorf("%d of %d answers not 200; want some, not all", bad, total)
	}
}
