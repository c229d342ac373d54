package ephemeral

import (
	"fmt"
	"io"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// PrintPlan prints the commands the plan runs, ready to paste.
func PrintPlan(w io.Writer, flags kube.Flags, pl *Plan) {
	file := pl.Container + ".json"
	fmt.Fprintf(w, "# %s/%s, container %s: the probe %s\n", pl.Namespace, pl.Pod, pl.Target, pl.Why)
	fmt.Fprintf(w, "cat > %s <<'JSON'\n%sJSON\n", file, pl.SpecJSON())
	fmt.Fprintf(w, "kubectl %s\n", shellJoin(flags.Args(pl.DebugArgs(file)...)))
	fmt.Fprintf(w, "kubectl %s\n", shellJoin(flags.Args(pl.LogsArgs()...)))
	fmt.Fprintf(w, "kubectl %s\n", shellJoin(flags.Args("get", "pod", pl.Pod, "--namespace="+pl.Namespace,
		`--output=jsonpath={.status.ephemeralContainerStatuses[?(@.name=="`+pl.Container+`")].state.terminated.exitCode}`)))
}

// shellJoin quotes args for a POSIX shell where they need it.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,@") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
