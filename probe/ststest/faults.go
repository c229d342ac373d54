package ststest

import (
	"cmp"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AnyAction is the action name that makes a fault apply to every action.
const AnyAction = "*"

// Fault is an injected failure for one STS action. It is applied before the
// request is looked at (even before an unknown action is rejected), and the
// request still counts in Calls.
type Fault struct {
	// Code, Message, Status and Type make STS answer with that error.
	// Status defaults to 400, and Type to Sender below 500 and Receiver
	// from 500. With no Code, the request is served normally (after Delay).
	Code    string
	Message string
	Status  int
	Type    string
	// Times is how many requests the fault applies to; 0 is forever.
	Times int
	// Delay is waited before answering (or dropping), as long as the
	// client is still waiting: a cancelled request ends the wait.
	Delay time.Duration
	// Drop closes the connection without any response.
	Drop bool
	// Drip sends the answer's status line and headers at once, then its
	// body one byte every Drip (StallBody: never the second byte), as a
	// congested link or a buffering proxy does.
	Drip time.Duration
	// NotAWS, when set, is answered instead of anything STS would say: what
	// a proxy, a load balancer or a wrong endpoint override answers.
	NotAWS *NotAWS
}

// NotAWS is an HTTP answer that is not AWS's.
type NotAWS struct {
	Status   int    // default 200
	Location string // sets the Location header (a redirect)
	Body     string
	// Endless follows Body with bytes until the client hangs up.
	Endless bool
	// Cut drops the connection after Body, mid-answer: what the SDK's
	// "use of closed network connection" race looks like to a client.
	Cut bool
}

// write answers with n.
func (n *NotAWS) write(w http.ResponseWriter) {
	if n.Location != "" {
		w.Header().Set("Location", n.Location)
	}
	w.Header().Set("Content-Type", "text/xml")
	if n.Cut {
		// A length the body never reaches, then the connection goes.
		w.Header().Set("Content-Length", strconv.Itoa(len(n.Body)+1024))
		w.WriteHeader(cmp.Or(n.Status, http.StatusOK))
		_, _ = io.WriteString(w, n.Body)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	w.WriteHeader(cmp.Or(n.Status, http.StatusOK))
	_, _ = io.WriteString(w, n.Body)
	if !n.Endless {
		return
	}
	chunk := []byte(strings.Repeat("<x>not STS</x>", 4096))
	for {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

type faultState struct {
	Fault
	used int
}

// SetFault injects f for action (AssumeRoleWithWebIdentity,
// GetCallerIdentity, ... or AnyAction), replacing any fault already set for
// it. An action's own fault takes precedence over AnyAction's.
func (s *STS) SetFault(action string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[action] = &faultState{Fault: f}
}

// ClearFaults removes every injected fault, and region disabling.
func (s *STS) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string]*faultState{}
	s.regionDisabled = false
}

// Throttle makes the next times requests for action fail as STS does under
// its rate limit (0: all of them). The SDK's default retryer retries these.
func (s *STS) Throttle(action string, times int) {
	e := errThrottling()
	s.SetFault(action, Fault{Code: e.Code, Message: e.Message, Status: e.Status, Type: e.Type, Times: times})
}

// ServerError makes the next times requests for action fail with a 500
// InternalFailure (0: all of them).
func (s *STS) ServerError(action string, times int) {
	e := errInternalFailure()
	s.SetFault(action, Fault{Code: e.Code, Message: e.Message, Status: e.Status, Type: e.Type, Times: times})
}

// IDPCommunicationError makes the next times AssumeRoleWithWebIdentity
// requests fail with IDPCommunicationError, the error AWS documents for an
// unreachable identity provider (0: all of them). STS's natural answer to an
// unreachable issuer is InvalidIdentityToken (see MsgKeyRetrieval).
func (s *STS) IDPCommunicationError(times int) {
	s.SetFault("AssumeRoleWithWebIdentity", Fault{
		Code: CodeIDPCommunicationError, Message: MsgKeyRetrieval,
		Status: http.StatusBadRequest, Type: "Sender", Times: times,
	})
}

// SetRegionDisabled makes every action fail with RegionDisabledException
// naming the account concerned (the role's, or the caller's), as when an
// account has deactivated STS in the region.
func (s *STS) SetRegionDisabled(disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.regionDisabled = disabled
}

// takeFault returns the fault to apply to a request for action, if any, and
// uses up one of its Times.
func (s *STS) takeFault(action string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := action
	st := s.faults[name]
	if st == nil {
		name = AnyAction
		st = s.faults[name]
	}
	if st == nil {
		return Fault{}, false
	}
	st.used++
	if st.Times > 0 && st.used >= st.Times {
		delete(s.faults, name)
	}
	return st.Fault, true
}

// apiError is the error the fault answers with, if it has a Code.
func (f Fault) apiError() *apiError {
	if f.Code == "" {
		return nil
	}
	e := &apiError{Status: f.Status, Type: f.Type, Code: f.Code, Message: f.Message}
	if e.Status == 0 {
		e.Status = http.StatusBadRequest
	}
	if e.Type == "" {
		e.Type = "Sender"
		if e.Status >= 500 {
			e.Type = "Receiver"
		}
	}
	return e
}

// peekFault is the fault takeFault would apply to r, without using it up.
func (s *STS) peekFault(r *http.Request) (Fault, bool) {
	_ = r.ParseForm() // answer parses it again: the form is kept
	action := r.Form.Get("Action")
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.faults[action]
	if st == nil {
		st = s.faults[AnyAction]
	}
	if st == nil {
		return Fault{}, false
	}
	return st.Fault, true
}
