package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDockerfileBuildsTheSame: the Dockerfile's final stage puts the same
// files with the same modes into an empty base, and runs the binary the same
// way, as build does.
func TestDockerfileBuildsTheSame(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(data), "\nFROM ")
	final := stages[len(stages)-1]
	if first, _, _ := strings.Cut(final, "\n"); strings.TrimSpace(first) != "scratch" {
		t.Errorf("final stage FROM %s, want scratch: anything else adds files", first)
	}
	var copies []entry
	var user, port string
	var ep, cmd []string
	for _, line := range strings.Split(final, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		rest := strings.TrimSpace(strings.TrimPrefix(line, f[0]))
		switch f[0] {
		case "COPY":
			e := entry{name: strings.TrimPrefix(f[len(f)-1], "/")}
			for _, opt := range f[1 : len(f)-2] {
				if m, ok := strings.CutPrefix(opt, "--chmod="); ok {
					if e.mode, err = strconv.ParseInt(m, 8, 64); err != nil {
						t.Errorf("%s: %v", line, err)
					}
				}
			}
			// A file from the repository must be the one build embeds.
			if src := f[len(f)-2]; !strings.HasPrefix(src, "/") {
				b, err := os.ReadFile(filepath.Join("../..", src))
				if err != nil {
					t.Fatal(err)
				}
				e.data = b
			}
			copies = append(copies, e)
		case "USER":
			user = rest
		case "EXPOSE":
			port = rest
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &ep); err != nil {
				t.Errorf("ENTRYPOINT %s: exec form (JSON) runs no shell: %v", rest, err)
			}
		case "CMD":
			if err := json.Unmarshal([]byte(rest), &cmd); err != nil {
				t.Errorf("CMD %s: %v", rest, err)
			}
		case "RUN", "ADD", "ENV", "WORKDIR", "VOLUME":
			t.Errorf("final stage has %s: build has no such step", f[0])
		}
	}
	var want []entry
	for _, e := range slices.Concat(baseEntries([]byte("ca")), binaryEntries([]byte("bin"))) {
		if !e.dir {
			want = append(want, e)
		}
	}
	for _, w := range want {
		i := slices.IndexFunc(copies, func(c entry) bool { return c.name == w.name })
		if i < 0 {
			t.Errorf("the Dockerfile does not COPY /%s", w.name)
			continue
		}
		c := copies[i]
		if c.mode != w.mode {
			t.Errorf("/%s: --chmod=%o, build uses %o", w.name, c.mode, w.mode)
		}
		if c.data != nil && string(c.data) != string(w.data) {
			t.Errorf("/%s: the Dockerfile copies other bytes than build embeds", w.name)
		}
	}
	if len(copies) != len(want) {
		t.Errorf("the Dockerfile copies %d files, build writes %d", len(copies), len(want))
	}
	if user != imageUser || port != imagePort || !slices.Equal(ep, entrypoint) || !slices.Equal(cmd, defaultCmd) {
		t.Errorf("USER %q EXPOSE %q ENTRYPOINT %q CMD %q, build: %q %q %q %q", user, port, ep, cmd, imageUser, imagePort, entrypoint, defaultCmd)
	}
}

// TestSkopeoReadsTheLayout: an independent implementation copies the
// layout, every platform, as docs/image.md's `skopeo copy --all oci:…`
// mirrors it. .ci/run installs skopeo (Debian's) and CI requires it;
// elsewhere the test skips without it.
func TestSkopeoReadsTheLayout(t *testing.T) {
	if _, err := exec.LookPath("skopeo"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("skopeo is not installed; CI requires it (.ci/run installs Debian's skopeo)")
		}
		t.Skip("skopeo not installed")
	}
	dst := filepath.Join(t.TempDir(), "copy")
	out, err := exec.Command("skopeo", "copy", "--all", "oci:"+testLayout(t), "oci:"+dst+":test").CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo copy --all: %v\n%s", err, out)
	}
}
