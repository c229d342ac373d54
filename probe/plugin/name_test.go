package plugin

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var nameRE = regexp.MustCompile(`^irsa-probe-[bcdfghjklmnpqrstvwxz2456789]{5}$`)

// TestRunsNeverReuseAName: against a pod whose spec already holds the
// ephemeral containers of earlier runs (among them every name a clock-based
// scheme gives around now), the plugin debugs with a name of its own, in
// kubectl debug, its log and its status.
func TestRunsNeverReuseAName(t *testing.T) {
	now := time.Now().Unix()
	var earlier []string
	for d := int64(-5); d <= 5; d++ {
		earlier = append(earlier, fmt.Sprintf(`{"name": "irsa-probe-%d", "image": "x"}`, (now+d)%100000))
	}
	withEarlier := func(s string) string {
		return strings.Replace(s, `"volumes": [`, `"ephemeralContainers": [`+strings.Join(earlier, ", ")+`], "volumes": [`, 1)
	}
	f := newFake(t, recordedPod(t, withEarlier), "")
	seen := map[string]bool{}
	for _, e := range earlier {
		seen[strings.Split(e, `"`)[3]] = true
	}
	for run := range 3 {
		if code, out, errOut := runPlugin(f, "billing-api-7d9f8b6c5-x2k4q"); code != 1 {
			t.Fatalf("run %d: exit %d\n%s%s", run, code, out, errOut)
		}
		b, err := os.ReadFile(filepath.Join(f.Dir, "debugged"))
		if err != nil {
			t.Fatal(err)
		}
		name := string(b)
		if !nameRE.MatchString(name) || seen[name] {
			t.Fatalf("run %d: ephemeral container %q (used: %v)", run, name, seen)
		}
		seen[name] = true
		for _, a := range f.Argv() {
			if strings.HasPrefix(a, "logs ") && !strings.Contains(a, "--container="+name) {
				t.Errorf("kubectl %s: not the debugged container %s", a, name)
			}
		}
		// The pod keeps it, as the API server does.
		pj, _ := os.ReadFile(filepath.Join(f.Dir, "pod.json"))
		pj = []byte(strings.Replace(string(pj), `"ephemeralContainers": [`, `"ephemeralContainers": [{"name": "`+name+`", "image": "x"}, `, 1))
		if err := os.WriteFile(filepath.Join(f.Dir, "pod.json"), pj, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(f.Dir, "argv"))
	}
}
