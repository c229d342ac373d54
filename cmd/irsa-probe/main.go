// Command irsa-probe proves a pod's IRSA identity works, or says why not.
// The logic is in package probe; main only wires it to the process.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/irsa-probe/irsa-probe/probe"
)

// version is set by the build: -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	// SIGTERM (kubelet) and SIGINT cancel the context; every step honours it.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	cli := &probe.CLI{Stdout: os.Stdout, Stderr: os.Stderr, Version: buildVersion()}
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}
