package ststest

import "sort"

// IssuedSecrets lists every secret access key and session token this STS
// issued or knows from an attached IMDS, so tests can assert that none of
// them ever reaches an output, a log line or a metric.
func (s *STS) IssuedSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, 2*len(s.sessions))
	for _, sess := range s.sessions {
		out = append(out, sess.secret, sess.sessionToken)
	}
	sort.Strings(out)
	return out
}
