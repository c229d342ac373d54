package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/irsa-probe/irsa-probe/probe/plugin"
)

// version is the release this plugin belongs to; its default image is that
// release's (make build sets it from VERSION; deploy/version_test.go keeps
// this default equal to VERSION).
var version = "v0.1.0"

func main() {
	// SIGTERM and SIGINT (Ctrl-C) cancel the context: kubectl's process
	// groups are killed and the canary Jobs deleted.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	p := &plugin.Plugin{Stdout: os.Stdout, Stderr: os.Stderr, Version: version}
	code := p.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
