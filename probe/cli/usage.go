package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/config"
)

// flagDoc documents a command's own flag (the settings' flags document
// themselves in config's table).
type flagDoc struct {
	name, kind, desc, def string
}

// usage is `irsa-probe --help`: the commands, then every setting.
func (c *CLI) usage(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "irsa-probe %s: prove a pod's AWS identity (IRSA) works, or say why not and how to fix it.\n\nUsage:\n", c.Build.Version)
	for _, cmd := range commands {
		fmt.Fprintf(&b, "  irsa-probe %-14s %s\n", cmd.name, cmd.summary)
	}
	b.WriteString("\nRun 'irsa-probe COMMAND -h' for a command's flags and an example.\n\nSettings (environment variables; a command's flag overrides its variable):\n")
	for _, s := range config.Table() {
		fmt.Fprintf(&b, "  %-34s %s%s\n", s.Env, s.Desc, defaultNote(s.Default))
	}
	_, _ = io.WriteString(w, b.String())
}

// commandUsage is `irsa-probe COMMAND -h`: that command's flags only.
func (c *CLI) commandUsage(w io.Writer, cmd *command) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: irsa-probe %s", cmd.name)
	docs := flagDocs(cmd)
	if len(docs) > 0 {
		b.WriteString(" [flags]")
	}
	fmt.Fprintf(&b, "\n\n%s\n", cmd.about)
	if len(docs) > 0 {
		b.WriteString("\nFlags:\n")
		for _, d := range docs {
			fmt.Fprintf(&b, "  --%-30s %s%s\n", strings.TrimSpace(d.name+" "+d.kind), d.desc, defaultNote(d.def))
		}
	}
	fmt.Fprintf(&b, "\nExample:\n%s\n", cmd.example)
	_, _ = io.WriteString(w, b.String())
}

// flagDocs lists cmd's flags: the settings it has, then its own.
func flagDocs(cmd *command) []flagDoc {
	var out []flagDoc
	for _, s := range config.Table() {
		if s.HasFlag(cmd.name) {
			out = append(out, flagDoc{name: s.Flag, kind: s.Kind, desc: s.Desc + " [" + s.Env + "]", def: s.Default})
		}
	}
	return append(out, cmd.flags...)
}

func defaultNote(def string) string {
	if def == "" {
		return ""
	}
	return " (default " + def + ")"
}
