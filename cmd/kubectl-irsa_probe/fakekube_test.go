package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fleet tests' kubectl is this test binary, run under the name
// kubectl (a symlink on PATH): TestMain answers as a cluster whose
// objects are files of FAKE_FLEET_DIR. It serves the listings, refuses
// what the "forbidden" file names with the API server's own Forbidden
// texts, creates canary Jobs from stdin, shows their pods as each service
// account's behaviour in "canaries.json" says, serves their logs, and
// deletes them by label, recording every argv.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "kubectl" {
		os.Exit(fakeKubectlMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeKubectlMain(args []string) int {
	d := os.Getenv("FAKE_FLEET_DIR")
	f, _ := os.OpenFile(filepath.Join(d, "argv"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Fprintln(f, strings.Join(args, " "))
	f.Close()
	// Global flags may come anywhere; positions below are without them.
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return strings.HasPrefix(a, "--context=") || strings.HasPrefix(a, "--kubeconfig=")
	})
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
	forbidden, _ := os.ReadFile(filepath.Join(d, "forbidden"))
	refused := func(verb, resource string) bool {
		return slices.Contains(strings.Fields(string(forbidden)), verb+":"+resource)
	}
	where := "at the cluster scope"
	if ns != "" {
		where = `in the namespace "` + ns + `"`
	}
	switch args[0] {
	case "get":
		if args[1] == "--raw" {
			fmt.Println(`{"issuer":"https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE","jwks_uri":"https://ip-10-0-0-1.us-west-2.compute.internal:443/openid/v1/jwks","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}`)
			return 0
		}
		res := args[1]
		if refused("list", res) && res == "namespaces" && len(args) > 2 && !strings.HasPrefix(args[2], "-") {
			fmt.Fprintf(os.Stderr, "Error from server (Forbidden): namespaces %q is forbidden: User \"jane@example.com\" cannot get resource \"namespaces\" in API group \"\" in the namespace %q\n", args[2], args[2])
			return 1
		}
		if refused("list", res) {
			fmt.Fprintf(os.Stderr, "Error from server (Forbidden): %s is forbidden: User \"jane@example.com\" cannot list resource %q in API group \"\" %s\n", res, res, where)
			return 1
		}
		if sel := flagValue("--selector"); sel != "" {
			return fakeCanaryPods(d, sel)
		}
		b, err := os.ReadFile(filepath.Join(d, res+".json"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: the server doesn't have a resource type %q\n", res)
			return 1
		}
		if res == "namespaces" && !all && len(args) > 2 && !strings.HasPrefix(args[2], "-") {
			var l struct{ Items []json.RawMessage }
			_ = json.Unmarshal(b, &l)
			for _, it := range l.Items {
				if strings.Contains(string(it), `"name":"`+args[2]+`"`) {
					os.Stdout.Write(it)
					return 0
				}
			}
			fmt.Fprintf(os.Stderr, "Error from server (NotFound): namespaces %q not found\n", args[2])
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
			b = []byte(listJSON(keep))
		}
		os.Stdout.Write(b)
		return 0
	case "create":
		b, _ := io.ReadAll(os.Stdin)
		var job struct {
			Metadata struct{ Name, Namespace string } `json:"metadata"`
		}
		if err := json.Unmarshal(b, &job); err != nil {
			fmt.Fprintln(os.Stderr, "error: error parsing STDIN:", err)
			return 1
		}
		if refused("create", "jobs/"+ns) {
			fmt.Fprintf(os.Stderr, "Error from server (Forbidden): error when creating \"STDIN\": jobs.batch is forbidden: User \"jane@example.com\" cannot create resource \"jobs\" in API group \"batch\" in the namespace %q\n", ns)
			return 1
		}
		_ = os.MkdirAll(filepath.Join(d, "jobs"), 0o755)
		_ = os.WriteFile(filepath.Join(d, "jobs", ns+"_"+job.Metadata.Name+".json"), b, 0o644)
		fmt.Println("job.batch/" + job.Metadata.Name)
		return 0
	case "logs":
		switch fakeBehaviour(d, ns, args[1]) {
		case "ok":
			fmt.Println(`{"ok":true,"identity":{"arn":"arn:aws:sts::111122223333:assumed-role/billing-api/botocore-session-1","account":"111122223333","userId":"AROAEXAMPLE:x"},"mechanism":"irsa","checks":[{"name":"mechanism","status":"pass","detail":""}],"findings":[]}`)
		case "denied":
			fmt.Println(`time=2026-12-02T09:00:00Z level=WARN msg="retrying"`)
			fmt.Println(`{"ok":false,"identity":null,"mechanism":"irsa","checks":[{"name":"assume-role","status":"fail","detail":"AccessDenied"}],"findings":[{"code":"trust-policy-denied","severity":"error","message":"STS refused to let system:serviceaccount:payments:ledger assume arn:aws:iam::111122223333:role/ledger: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (request id 0f6e3b0c).","fix":"Replace the role's trust policy with one that trusts this cluster's OIDC provider for this service account:\n  aws iam update-assume-role-policy --role-name ledger --policy-document file://trust-policy.json"}]}`)
		default:
			fmt.Println("exec /irsa-probe: exec format error")
		}
		return 0
	case "rollout":
		// rollout restart deployment/NAME: a Deployment some pod's ReplicaSet belongs to.
		kind, name, _ := strings.Cut(args[2], "/")
		pods, _ := os.ReadFile(filepath.Join(d, "pods.json"))
		if args[1] != "restart" || kind != "deployment" || !strings.Contains(string(pods), `"namespace":"`+ns+`"`) || !strings.Contains(string(pods), `"kind":"ReplicaSet","name":"`+name+`-`) {
			fmt.Fprintf(os.Stderr, "Error from server (NotFound): deployments.apps %q not found\n", name)
			return 1
		}
		fmt.Printf("deployment.apps/%s restarted\n", name)
		return 0
	case "delete":
		sel := flagValue("--selector")
		entries, _ := os.ReadDir(filepath.Join(d, "jobs"))
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(d, "jobs", e.Name()))
			k, v, _ := strings.Cut(sel, "=")
			if strings.HasPrefix(e.Name(), ns+"_") && strings.Contains(string(b), fmt.Sprintf("%q:%q", k, v)) {
				_ = os.Remove(filepath.Join(d, "jobs", e.Name()))
				fmt.Printf("job.batch %q deleted\n", strings.TrimSuffix(strings.TrimPrefix(e.Name(), ns+"_"), ".json"))
			}
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "fake kubectl: unexpected", args)
	return 1
}

// fakeBehaviour is what the canary of a pod (or Job) named NAME does:
// canaries.json maps "namespace/serviceaccount" to ok, denied, garbage,
// unschedulable, imagepull or nopod.
func fakeBehaviour(d, ns, name string) string {
	b, _ := os.ReadFile(filepath.Join(d, "canaries.json"))
	var m map[string]string
	_ = json.Unmarshal(b, &m)
	for k, v := range m {
		sans, sa, _ := strings.Cut(k, "/")
		if sans == ns && strings.Contains(name, "-"+sa) {
			return v
		}
	}
	return "ok"
}

// fakeCanaryPods lists the pods of the created Jobs that match sel.
func fakeCanaryPods(d, sel string) int {
	k, v, _ := strings.Cut(sel, "=")
	entries, _ := os.ReadDir(filepath.Join(d, "jobs"))
	var items []string
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(d, "jobs", e.Name()))
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
		switch fakeBehaviour(d, ns, name) {
		case "nopod":
			continue
		case "denied":
			status = `{"phase":"Failed","containerStatuses":[{"name":"irsa-probe","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}`
		case "garbage":
			status = `{"phase":"Failed","containerStatuses":[{"name":"irsa-probe","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}`
		case "unschedulable":
			status = `{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}]}`
		case "imagepull":
			status = `{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],"containerStatuses":[{"name":"irsa-probe","state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image \"ghcr.io/irsa-probe/irsa-probe:v0.1.0\": ErrImagePull: failed to pull and unpack image"}}}]}`
		}
		items = append(items, fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":%q,"labels":%s},"spec":{"serviceAccountName":"x","containers":[{"name":"irsa-probe"}]},"status":%s}`,
			name+"-x7k2p", ns, labels, status))
	}
	fmt.Printf(`{"apiVersion":"v1","kind":"List","items":[%s]}`+"\n", strings.Join(items, ","))
	return 0
}

// fleetFake is a fake cluster directory with kubectl on PATH.
type fleetFake struct{ dir string }

func newFleetFake(t testing.TB, c *cluster) *fleetFake {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, "kubectl")); err != nil {
		t.Fatal(err)
	}
	c.write(t, dir)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_FLEET_DIR", dir)
	return &fleetFake{dir: dir}
}

func (f *fleetFake) set(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fleetFake) argv(t testing.TB) []string {
	b, _ := os.ReadFile(filepath.Join(f.dir, "argv"))
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// jobsLeft are the canary Jobs still in the fake cluster.
func (f *fleetFake) jobsLeft() []string {
	entries, _ := os.ReadDir(filepath.Join(f.dir, "jobs"))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
