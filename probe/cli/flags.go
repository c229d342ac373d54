package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/suggest"
)

// newFlagSet is a command's flag set, silent: parse reports its errors.
func newFlagSet(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// errHelp is -h or --help: the command's usage, exit 0.
var errHelp = flag.ErrHelp

// parse parses args with fs, whose settings' flags are bound to fl (nil
// when the command has none). It checks each flag against fs before the
// flag package sees it, so every mistake is one line of ours: an unknown
// flag (with the closest known), a flag without its value, a value that
// does not parse, a stray argument.
func parse(cmd string, fs *flag.FlagSet, fl *config.Flags, args []string) error {
	if err := precheck(cmd, fs, args); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		if fl != nil && fl.Err() != nil {
			return usageErrorf(commandHint(cmd), "%v", fl.Err())
		}
		return usageErrorf(commandHint(cmd), "%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf(commandHint(cmd), "%s takes no arguments, got %q", cmd, strings.Join(fs.Args(), " "))
	}
	return nil
}

// precheck walks args as the flag package will.
func precheck(cmd string, fs *flag.FlagSet, args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			return nil // the first argument: parse reports it
		}
		if a == "--" {
			return nil
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			return errHelp
		}
		f := fs.Lookup(name)
		if f == nil {
			var known []string
			fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
			hint := commandHint(cmd)
			if best := suggest.Closest(name, known); best != "" {
				hint = fmt.Sprintf("did you mean --%s? %s", best, hint)
			}
			return usageErrorf(hint, "unknown flag --%s", name)
		}
		if isBool(f) {
			if _, err := strconv.ParseBool(value); hasValue && err != nil {
				return usageErrorf(commandHint(cmd), "--%s=%q: not true or false", name, value)
			}
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return usageErrorf(commandHint(cmd), "--%s needs a value, e.g. --%s=%s", name, name, example(f))
			}
			i++ // the value
		}
	}
	return nil
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// example is a value that would do for f, for hints.
func example(f *flag.Flag) string {
	if f.DefValue != "" && f.DefValue != "0s" {
		return f.DefValue
	}
	if strings.Contains(f.Usage, "duration") || strings.HasSuffix(f.DefValue, "s") {
		return "30s"
	}
	return "VALUE"
}
