package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// BuildInfo says which build is running. main fills it from -ldflags -X;
// Complete fills what -X left empty from the Go build info.
type BuildInfo struct {
	Version string // v1.2.3, or the module version, or "dev"
	Commit  string // the VCS revision, with "-dirty" for a modified tree
	Date    string // when it was built (RFC 3339), or committed
	Go      string // the Go release and platform
}

// Complete fills the fields -X did not set from the binary's build info:
// `go install …@v1.2.3` records the module version, `go build` in a
// checkout the revision and its commit time.
func (b BuildInfo) Complete() BuildInfo {
	b.Go = runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if b.Commit == "" && settings["vcs.revision"] != "" {
			b.Commit = settings["vcs.revision"]
			if settings["vcs.modified"] == "true" {
				b.Commit += "-dirty"
			}
		}
		if b.Date == "" && settings["vcs.time"] != "" {
			b.Date = settings["vcs.time"] + " (commit)"
		}
	}
	for _, f := range []*string{&b.Version, &b.Commit, &b.Date} {
		if *f == "" {
			*f = "unknown"
		}
	}
	if b.Version == "unknown" {
		b.Version = "dev"
	}
	return b
}

var versionCommand = &command{
	name:    CmdVersion,
	summary: "print the version, commit, Go version and build date",
	about:   "Print the version of this binary, the commit it was built from, the Go release and the build date.\n'irsa-probe --version' and 'irsa-probe -v' do the same.",
	example: "  kubectl exec POD -c irsa-probe -- irsa-probe version",
	run: func(c *CLI, _ context.Context, args []string) int {
		if err := parse(CmdVersion, newFlagSet(CmdVersion), nil, args); err != nil {
			return c.fail(err)
		}
		b := c.Build
		fmt.Fprintf(c.Stdout, "irsa-probe %s\n  commit  %s\n  built   %s\n  go      %s\n", b.Version, b.Commit, b.Date, b.Go)
		return verdict.ExitOK
	},
}
