// Command irsa-probe proves a pod's AWS identity works, or says why not and
// how to fix it. The logic is in the packages under probe/; main only wires
// package cli to the process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/irsa-probe/irsa-probe/probe/cli"
)

// Set by the build: -ldflags "-X main.version=v1.2.3 -X main.commit=… -X main.date=…".
var version, commit, date string

func main() {
	// SIGTERM (kubelet) and SIGINT cancel the context; every step honours it.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	c := &cli.CLI{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Build:  cli.BuildInfo{Version: version, Commit: commit, Date: date}.Complete(),
	}
	code := c.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
