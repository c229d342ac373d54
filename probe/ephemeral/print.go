package ephemeral

import (
	"fmt"
	"io"

	"github.com/irsa-probe/irsa-probe/probe/kube"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

// PrintPlan prints the commands the plan runs, ready to paste: each built
// from its words by package shellcmd, and no comment among them
// (interactive zsh reads # as a word); what the plan is goes to note, a
// line of its own.
func PrintPlan(w, note io.Writer, flags kube.Flags, pl *Plan) error {
	file := pl.Container + ".json"
	var lines []string
	for _, argv := range [][]string{
		flags.Args(pl.DebugArgs(file)...),
		flags.Args(pl.LogsArgs()...),
		flags.Args("get", "pod", pl.Pod, "--namespace="+pl.Namespace,
			`--output=jsonpath={.status.ephemeralContainerStatuses[?(@.name=="`+pl.Container+`")].state.terminated.exitCode}`),
	} {
		l, err := shellcmd.Line(append([]string{"kubectl"}, argv...)...)
		if err != nil {
			return fmt.Errorf("the plan's commands are not printed: %w", err)
		}
		lines = append(lines, l)
	}
	heredoc, err := shellcmd.Word(file)
	if err != nil {
		return fmt.Errorf("the plan's commands are not printed: %w", err)
	}
	fmt.Fprintf(note, "kubectl-irsa_probe: %s/%s, container %s: the probe %s\n", pl.Namespace, pl.Pod, pl.Target, pl.Why)
	fmt.Fprintf(w, "cat > %s <<'JSON'\n%sJSON\n", heredoc, pl.SpecJSON())
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}
