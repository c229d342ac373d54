package appsdk

import (
	"os"
	"syscall"

	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// Caps on what is read from the process's files.
const (
	maxSmallFile = 1 << 20  // package.json, __init__.py, pom.properties, a shared config
	maxNestedJar = 32 << 20 // a jar inside a jar is read into memory
	maxJars      = 1000     // jars looked into, per process
	maxDirList   = 10000    // entries listed in one directory
)

// openRegular opens a regular file without blocking (safefile's rules).
func openRegular(name string) (*os.File, error) { return safefile.Open(name) }

// readSmall reads a regular file of at most maxSmallFile bytes.
func readSmall(name string) ([]byte, error) { return safefile.Read(name, maxSmallFile) }

// readDirNames lists at most maxDirList names of a directory.
func readDirNames(dir string) []string {
	// O_DIRECTORY: anything else (a FIFO that would block) is refused by the open.
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(maxDirList)
	return names
}

// isDir says whether name is a directory.
func isDir(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.IsDir()
}
