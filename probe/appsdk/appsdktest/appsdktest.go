// Package appsdktest builds the real applications package appsdk's tests
// and the binary's read: a Go program linked against an old aws-sdk-go
// release from the module proxy. Like ststest it does not import package
// testing.
package appsdktest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// OldGoAppSDK is the aws-sdk-go release OldGoApp is built against: older
// than v1.23.13, the first to support IRSA.
const OldGoAppSDK = "v1.23.0"

// BuildOldGoApp builds ../testdata/oldgoapp (its own go.mod and go.sum,
// read-only: the module proxy serves the release) into dir and returns the
// binary's path. Run with the argument "sleep", it waits ten minutes.
func BuildOldGoApp(dir string) (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("appsdktest: no source path")
	}
	bin := filepath.Join(dir, "oldgoapp")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "testdata", "oldgoapp")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New("building oldgoapp against aws-sdk-go " + OldGoAppSDK + ": " + err.Error() + "\n" + string(out))
	}
	return bin, nil
}
