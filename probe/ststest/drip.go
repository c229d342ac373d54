package ststest

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// StallBody is a Drip so slow that no client waits for the second byte:
// the status line and headers arrive, then the body stalls.
const StallBody = time.Hour

// dripping serves what h answers, but slowly, as a congested link or a
// proxy buffering upstream does: the status line and headers (with the
// true Content-Length) at once, then the body one byte every every, until
// it is all sent or the client hangs up.
func dripping(w http.ResponseWriter, r *http.Request, every time.Duration, h func(http.ResponseWriter)) {
	rec := httptest.NewRecorder()
	h(rec)
	body := rec.Body.Bytes()
	maps.Copy(w.Header(), rec.Header())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	w.(http.Flusher).Flush()
	for i := range body {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(every):
		}
		if _, err := w.Write(body[i : i+1]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
	}
}
