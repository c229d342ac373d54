package serve

import (
	"crypto/sha256"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/satoken"
)

// tokenPollInterval is how often the token file is re-read for changes.
const tokenPollInterval = time.Second

// tokenWatch notices a new token file. kubelet rotates the projected token
// at 80% of its lifetime by swapping a symlink (..data) in the volume;
// inotify on the file misses that, and on the directory needs a
// dependency, so the file is re-read every tokenPollInterval and compared
// by SHA-256: one ~1 KiB read per second, whatever the filesystem's
// timestamp granularity. Only the digest is kept, never the token.
type tokenWatch struct {
	path string
	sum  [sha256.Size]byte
}

// read returns the digest of the file's current content, or of the error
// reading it, so a file appearing or disappearing is a change too.
func (w *tokenWatch) read() [sha256.Size]byte {
	raw, err := satoken.ReadFile(w.path)
	if err != nil {
		return sha256.Sum256([]byte("error: " + err.Error()))
	}
	return sha256.Sum256(raw)
}

// mark records the content a check is about to read.
func (w *tokenWatch) mark() {
	if w.path != "" {
		w.sum = w.read()
	}
}

// changed reports whether the file differs from the last mark.
func (w *tokenWatch) changed() bool {
	return w.path != "" && w.read() != w.sum
}
