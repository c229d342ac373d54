package serve

import (
	"crypto/sha256"
	"os"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/satoken"
)

// tokenPollInterval is how often the token files are re-read for changes.
const tokenPollInterval = time.Second

// Token kinds, the value of the token label of the token metrics.
const (
	tokenKindIRSA        = "irsa"
	tokenKindPodIdentity = "pod-identity"
)

// tokenWatch follows one token file over the pod's life. kubelet rotates
// the projected token at 80% of its lifetime by swapping a symlink (..data)
// in the volume; inotify on the file misses that, and on the directory
// needs a dependency, so the file is re-read every tokenPollInterval and
// compared by SHA-256: one ~1 KiB read per second, whatever the
// filesystem's timestamp granularity. Only the digest and the claims'
// times are kept, never the token.
type tokenWatch struct {
	kind string // tokenKindIRSA or tokenKindPodIdentity
	path string
	// sum is the content the latest check read (mark), for the early
	// check after a rotation.
	sum [sha256.Size]byte
	// life is what the latest observe saw.
	life tokenLife
	seen [sha256.Size]byte
}

// tokenLife is one token file's history, as published in a snapshot.
type tokenLife struct {
	kind, path string
	// observed: the file has been read at least once.
	observed bool
	// iat and exp are the current token's claims; zero when it is not a
	// token (missing, unreadable, malformed: the check reports those).
	iat, exp time.Time
	// namespace and pod are from the token's kubernetes.io claim, for
	// the fix's commands.
	namespace, pod string
	// changedAt is when the content last changed: the file's mtime when
	// serve first read it, then when serve saw it change.
	changedAt time.Time
	// rotations counts content changes from one token to another since
	// serve started.
	rotations int64
}

// read returns the digest of the file's current content, or of the error
// reading it, so a file appearing or disappearing is a change too; and the
// token, when the content is one.
func (w *tokenWatch) read() ([sha256.Size]byte, *satoken.Token) {
	raw, err := satoken.ReadFile(w.path)
	if err != nil {
		return sha256.Sum256([]byte("error: " + err.Error())), nil
	}
	t, err := satoken.Parse(raw)
	if err != nil {
		t = nil
	}
	return sha256.Sum256(raw), t
}

// observe reads the file and updates its life at now. It reports whether
// the content changed since the last mark, i.e. whether the latest check
// read another token than the file holds now.
func (w *tokenWatch) observe(now time.Time) bool {
	if w.path == "" {
		return false
	}
	sum, t := w.read()
	l := &w.life
	l.kind, l.path = w.kind, w.path
	if !l.observed || sum != w.seen {
		switch {
		case !l.observed:
			l.changedAt = now
			if fi, err := os.Stat(w.path); err == nil && fi.ModTime().Before(now) {
				l.changedAt = fi.ModTime()
			}
		default:
			l.changedAt = now
			if t != nil && !l.iat.IsZero() {
				l.rotations++
			}
		}
		l.observed, w.seen = true, sum
		l.iat, l.exp, l.namespace, l.pod = time.Time{}, time.Time{}, "", ""
		if t != nil && !t.Legacy && !t.Expiry.IsZero() && !t.IssuedAt.IsZero() && t.Expiry.After(t.IssuedAt) {
			l.iat, l.exp, l.namespace, l.pod = t.IssuedAt, t.Expiry, t.Namespace, t.Pod
		}
	}
	return sum != w.sum
}

// mark records the content a check is about to read.
func (w *tokenWatch) mark(now time.Time) {
	if w.path != "" {
		w.observe(now)
		w.sum = w.seen
	}
}
