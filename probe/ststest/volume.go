package ststest

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// writeProjected writes content as file name of the projected volume in
// dir, the way kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go)
// does: the file lives in a timestamped directory (..2026_01_02_03_04_05.N),
// ..data is a symlink to it, and name a symlink to ..data/name. An update
// writes a new timestamped directory and renames a new ..data symlink over
// the old one, so a reader of name sees the old file or the new one, never
// a mix; and a bind mount of name (a subPath) keeps the old one forever.
func writeProjected(dir, name string, content []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("projected volume: %w", err)
	}
	ts, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return fmt.Errorf("projected volume: %w", err)
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		return fmt.Errorf("projected volume: %w", err)
	}
	data := filepath.Join(dir, "..data")
	old, _ := os.Readlink(data)
	// The whole payload is written each time, as AtomicWriter does: the
	// volume's other files carried over.
	if old != "" {
		entries, _ := os.ReadDir(filepath.Join(dir, old))
		for _, e := range entries {
			if e.Name() == name || !e.Type().IsRegular() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, old, e.Name()))
			if err == nil {
				err = os.WriteFile(filepath.Join(ts, e.Name()), b, 0o600)
			}
			if err != nil {
				return fmt.Errorf("projected volume: %w", err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(ts, name), content, 0o600); err != nil {
		return fmt.Errorf("projected volume: %w", err)
	}
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		return fmt.Errorf("projected volume: %w", err)
	}
	if err := os.Rename(tmp, data); err != nil {
		return fmt.Errorf("projected volume: %w", err)
	}
	link := filepath.Join(dir, name)
	if _, err := os.Lstat(link); os.IsNotExist(err) {
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			return fmt.Errorf("projected volume: %w", err)
		}
	}
	if old != "" && old != filepath.Base(ts) {
		_ = os.RemoveAll(filepath.Join(dir, old))
	}
	return nil
}
