package main

import (
	"os"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
)

// TestMain lets this test binary answer as kubectl (kubefake's process
// front door): the plugin's binary, run as a process, finds it on PATH.
func TestMain(m *testing.M) {
	kubefake.Main()
	os.Exit(m.Run())
}
