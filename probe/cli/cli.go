package cli

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/suggest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// CLI is the binary's behaviour; main only wires it to the process.
type CLI struct {
	// Stdin feeds `trust-policy --explain -`; nil reads nothing.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Build          BuildInfo
	// Now is the clock (nil: time.Now); tests set it.
	Now func() time.Time
}

// command is one of the binary's commands.
type command struct {
	name    string
	summary string    // one line, for the command list
	about   string    // what it is for, for its -h
	example string    // for its -h
	flags   []flagDoc // its own flags, besides the settings' (for its -h)
	// run runs the command with its arguments; it returns the exit code.
	run func(c *CLI, ctx context.Context, args []string) int
}

// Command names; the manifests' args must name one of them.
const (
	CmdCheck       = "check"
	CmdServe       = "serve"
	CmdTrustPolicy = "trust-policy"
	CmdVersion     = "version"
)

// commands are listed by --help in this order.
var commands = []*command{checkCommand, serveCommand, trustPolicyCommand, versionCommand}

// CommandNames lists the binary's commands.
func CommandNames() []string {
	names := make([]string, len(commands))
	for i, cmd := range commands {
		names[i] = cmd.name
	}
	return names
}

func lookup(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

// Main runs one command and returns the process exit code.
func (c *CLI) Main(ctx context.Context, args []string) int {
	// What a library prints through the standard logger is not about the
	// user's identity: nothing until a command's logger takes it (at debug
	// level, newLogger).
	log.SetOutput(io.Discard)
	if len(args) == 0 {
		return c.fail(usageErrorf("run 'irsa-probe --help' for the commands", "no command: say which, one of %s", strings.Join(CommandNames(), ", ")))
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if cmd := lookup(rest[0]); cmd != nil {
				c.commandUsage(c.Stdout, cmd)
				return verdict.ExitOK
			}
		}
		c.usage(c.Stdout)
		return verdict.ExitOK
	case "-v", "-version", "--version":
		name = CmdVersion
	}
	cmd := lookup(name)
	if cmd != nil && wantsHelp(rest) {
		// Before anything reads the environment: help works whatever it holds.
		c.commandUsage(c.Stdout, cmd)
		return verdict.ExitOK
	}
	if cmd == nil {
		hint := "run 'irsa-probe --help' for the commands"
		if best := suggest.Closest(name, CommandNames()); best != "" {
			hint = fmt.Sprintf("did you mean 'irsa-probe %s'? %s", best, hint)
		}
		return c.fail(usageErrorf(hint, "unknown command %q", name))
	}
	return cmd.run(c, ctx, rest)
}

// wantsHelp reports whether the flags in args ask for help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			return false
		}
		if name := strings.TrimLeft(a, "-"); name == "h" || name == "help" {
			return true
		}
	}
	return false
}
