package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// target is one directory `kubectl kustomize` renders, and what it must hold.
type target struct {
	dir       string   // relative to deploy/
	component string   // the deploy/components/ directory it applies, if any
	mode      mode     // how irsa-probe runs in it
	workloads []string // Kind/name of every workload that must carry irsa-probe
	untouched []string // Kind/name of the workloads the component leaves alone by design
}

// The sample app's workloads (testdata/sample-app): two Deployments and one
// of every other kind with a pod template.
var (
	sampleServing = []string{"Deployment/minimal", "Deployment/busy", "StatefulSet/ledger", "DaemonSet/node-agent"}
	sampleBatch   = []string{"Job/migrate", "CronJob/nightly-report"}
	sampleAll     = slices.Concat(sampleServing, sampleBatch)
)

var targets = []target{
	{"../examples/init-container", "", initCheck, []string{"Deployment/billing-api"}, nil},
	{"../examples/native-sidecar", "", nativeSidecar, []string{"Deployment/billing-api"}, nil},
	{"../examples/sidecar", "", classicSidecar, []string{"Deployment/billing-api"}, nil},
	{"../examples/job", "", jobCheck, []string{"Job/irsa-probe"}, nil},
	{"../examples/kustomize-components", "native-sidecar", nativeSidecar, []string{"Deployment/billing-api"}, nil},
	// Each component on the sample app (testdata/sample-app): a minimal
	// Deployment, a busy one, and one workload of every other kind. The
	// classic sidecars leave Jobs and CronJobs alone: `serve` never exits, so
	// their pods would never complete.
	{"testdata/overlays/init-container", "init-container", initCheck, sampleAll, nil},
	{"testdata/overlays/native-sidecar", "native-sidecar", nativeSidecar, sampleAll, nil},
	{"testdata/overlays/sidecar", "sidecar", classicSidecar, sampleServing, sampleBatch},
	{"testdata/overlays/sidecar-keep-readiness", "sidecar-keep-readiness", ownReadiness, sampleServing, sampleBatch},
}

// The region the simulated cluster's webhook injects.
const testRegion = "eu-west-1"

// TestTargetsCoverEverything: a new example or component cannot ship
// untested, and every example has its README.
func TestTargetsCoverEverything(t *testing.T) {
	dirs := map[string]bool{}
	components := map[string]bool{}
	for _, tg := range targets {
		dirs[tg.dir] = true
		components[tg.component] = true
	}
	examples, _ := filepath.Glob("../examples/*/kustomization.yaml")
	for _, k := range examples {
		dir := filepath.ToSlash(filepath.Dir(k))
		if !dirs[dir] {
			t.Errorf("%s is not in targets", dir)
		}
		if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
			t.Errorf("%s has no README.md", dir)
		}
	}
	comps, _ := filepath.Glob("components/*/kustomization.yaml")
	for _, k := range comps {
		if name := filepath.Base(filepath.Dir(k)); !components[name] {
			t.Errorf("component %s is applied by no target", name)
		}
	}
	if len(examples) < 5 || len(comps) < 4 {
		t.Errorf("found %d examples and %d components, want 5 and 4", len(examples), len(comps))
	}
}

// TestRender: every target renders and every object decodes strictly (in
// render), lands in a namespace, and the service accounts are annotated with
// a role ARN irsa-probe accepts.
func TestRender(t *testing.T) {
	requireKubectl(t)
	for _, tg := range targets {
		t.Run(tg.dir, func(t *testing.T) {
			for _, o := range render(t, tg.dir) {
				if o.Kind != "Namespace" && o.Namespace != "payments" {
					t.Errorf("%s: namespace %q, want payments", o.ref(), o.Namespace)
				}
				if sa, ok := o.Obj.(*corev1.ServiceAccount); ok {
					if _, err := iam.ParseRoleARN(sa.Annotations[roleARNAnnotation]); err != nil {
						t.Errorf("%s: %s: %v", o.ref(), roleARNAnnotation, err)
					}
				}
			}
		})
	}
}

// probeIn returns the irsa-probe container of a workload's pod template.
func probeIn(t *testing.T, objs []object, ref string) (*corev1.PodTemplateSpec, *corev1.Container) {
	t.Helper()
	kind, name, _ := strings.Cut(ref, "/")
	o, ok := find(objs, kind, name)
	if !ok {
		t.Fatalf("%s not rendered", ref)
	}
	tpl, ok := podTemplate(o)
	if !ok {
		t.Fatalf("%s has no pod template", ref)
	}
	for _, cs := range [][]corev1.Container{tpl.Spec.InitContainers, tpl.Spec.Containers} {
		for i := range cs {
			if cs[i].Name == probeContainer {
				return tpl, &cs[i]
			}
		}
	}
	t.Fatalf("%s: no %s container", ref, probeContainer)
	return nil, nil
}

// TestProbeContainer: the irsa-probe container of every workload runs a real
// command with real variables, ports and paths, hardened and sized, in the
// right place in its pod.
func TestProbeContainer(t *testing.T) {
	for _, tg := range targets {
		objs := render(t, tg.dir)
		// Every rendered workload is checked: none slips by undeclared.
		for _, o := range objs {
			tpl, ok := podTemplate(o)
			switch {
			case !ok || slices.Contains(tg.workloads, o.ref()):
			case slices.Contains(tg.untouched, o.ref()):
				for _, c := range slices.Concat(tpl.Spec.InitContainers, tpl.Spec.Containers) {
					if c.Name == probeContainer {
						t.Errorf("%s: %s has irsa-probe, but the component must leave it alone", tg.dir, o.ref())
					}
				}
			default:
				t.Errorf("%s: %s is not in the target's workloads", tg.dir, o.ref())
			}
		}
		for _, ref := range tg.workloads {
			t.Run(tg.dir+"/"+ref, func(t *testing.T) {
				tpl, c := probeIn(t, objs, ref)
				for _, e := range slices.Concat(checkContainer(c, tg.mode), checkPod(tpl, tg.mode)) {
					t.Error(e)
				}
			})
		}
	}
}

// TestJobVerdicts: the Job fails at once on the binary's verdicts (broken,
// usage) and retries only the undecided exit.
func TestJobVerdicts(t *testing.T) {
	o, ok := find(render(t, "../examples/job"), "Job", "irsa-probe")
	if !ok {
		t.Fatal("Job/irsa-probe not rendered")
	}
	job := o.Obj.(*batchv1.Job)
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q: podFailurePolicy needs Never", job.Spec.Template.Spec.RestartPolicy)
	}
	var failJob []int32
	if pfp := job.Spec.PodFailurePolicy; pfp != nil {
		for _, r := range pfp.Rules {
			if r.Action == batchv1.PodFailurePolicyActionFailJob && r.OnExitCodes != nil &&
				r.OnExitCodes.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn &&
				(r.OnExitCodes.ContainerName == nil || *r.OnExitCodes.ContainerName == probeContainer) {
				failJob = append(failJob, r.OnExitCodes.Values...)
			}
		}
	}
	slices.Sort(failJob)
	if want := []int32{verdict.ExitBroken, verdict.ExitUsage}; !slices.Equal(failJob, want) {
		t.Errorf("FailJob on exit codes %v, want %v (and not %d, undecided: retried)", failJob, want, verdict.ExitUndecided)
	}
	if job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit < 1 {
		t.Error("backoffLimit must allow a retry of an undecided check")
	}
	if job.Spec.TTLSecondsAfterFinished == nil || *job.Spec.TTLSecondsAfterFinished < 600 {
		t.Error("ttlSecondsAfterFinished must leave time for `kubectl logs job/irsa-probe`")
	}
}

// TestJobExampleOwnsNoNamespace: `kubectl delete -k examples/job` must not
// delete a namespace the example did not create, and the file users open
// first says what to replace.
func TestJobExampleOwnsNoNamespace(t *testing.T) {
	for _, o := range render(t, "../examples/job") {
		if o.Kind == "Namespace" {
			t.Errorf("examples/job renders %s: kubectl delete -k would delete it", o.ref())
		}
	}
	k, err := os.ReadFile("../examples/job/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(k), "\napiVersion:")
	if !strings.Contains(head, "Replace") || !strings.Contains(head, roleARNAnnotation) {
		t.Errorf("examples/job/kustomization.yaml does not open with what to replace (the %s):\n%s", roleARNAnnotation, head)
	}
}

// TestWebhookGivesProbeEverything mutates every pod as the EKS pod identity
// webhook would, for the service account the pod names, and checks the
// irsa-probe container then sees everything it reads: role, token file under
// its own mount of the projected token (readable by uid 65532 under the
// kubelet's ownership rules), region, and nothing of the manifest's in the
// way.
func TestWebhookGivesProbeEverything(t *testing.T) {
	for _, tg := range targets {
		objs := render(t, tg.dir)
		for _, ref := range tg.workloads {
			t.Run(tg.dir+"/"+ref, func(t *testing.T) {
				tpl, _ := probeIn(t, objs, ref)
				tpl = tpl.DeepCopy()
				o, ok := find(objs, "ServiceAccount", tpl.Spec.ServiceAccountName)
				if !ok {
					t.Fatalf("ServiceAccount/%s is not part of the rendered manifests", tpl.Spec.ServiceAccountName)
				}
				sa := o.Obj.(*corev1.ServiceAccount)
				webhookMutate(nil, tpl, sa)
				var c *corev1.Container
				for _, cs := range [][]corev1.Container{tpl.Spec.InitContainers, tpl.Spec.Containers} {
					if i := slices.IndexFunc(cs, func(c corev1.Container) bool { return c.Name == probeContainer }); i >= 0 {
						c = &cs[i]
					}
				}
				for _, e := range checkSeesIdentity(&tpl.Spec, c, sa.Annotations[roleARNAnnotation]) {
					t.Error(e)
				}
			})
		}
	}
}

// TestExamplesMatchComponents: the spelled-out examples and the components
// put the same irsa-probe container into a pod, so copying either gives the
// same, tested result. The Job runs the init container's check.
func TestExamplesMatchComponents(t *testing.T) {
	requireKubectl(t)
	for _, tc := range []struct{ example, exampleRef, overlay string }{
		{"../examples/init-container", "Deployment/billing-api", "testdata/overlays/init-container"},
		{"../examples/native-sidecar", "Deployment/billing-api", "testdata/overlays/native-sidecar"},
		{"../examples/sidecar", "Deployment/billing-api", "testdata/overlays/sidecar"},
		{"../examples/job", "Job/irsa-probe", "testdata/overlays/init-container"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			_, got := probeIn(t, render(t, tc.example), tc.exampleRef)
			_, want := probeIn(t, render(t, tc.overlay), "Deployment/minimal")
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("irsa-probe container differs from the component's (%s):\n got %s\nwant %s", tc.overlay, g, w)
			}
		})
	}
}

// TestEveryKindGetsTheSameContainer: a component puts the same irsa-probe
// container into every kind it reaches, so the CronJob patches (one level
// deeper, a copy of the container) cannot drift from the others.
func TestEveryKindGetsTheSameContainer(t *testing.T) {
	for _, tg := range targets {
		if !strings.HasPrefix(tg.dir, "testdata/overlays/") {
			continue
		}
		objs := render(t, tg.dir)
		_, want := probeIn(t, objs, "Deployment/minimal")
		w, _ := json.Marshal(want)
		for _, ref := range tg.workloads {
			_, got := probeIn(t, objs, ref)
			if g, _ := json.Marshal(got); string(g) != string(w) {
				t.Errorf("%s: %s's irsa-probe differs from Deployment/minimal's:\n got %s\nwant %s", tg.dir, ref, g, w)
			}
		}
	}
}

// TestComponentsLeaveTheRestAlone: applying a component changes nothing of
// the app but what it documents: it adds irsa-probe and, for the classic
// sidecar, replaces the app container's readinessProbe.
func TestComponentsLeaveTheRestAlone(t *testing.T) {
	base := render(t, "testdata/sample-app")
	for _, tg := range targets {
		if !strings.HasPrefix(tg.dir, "testdata/overlays/") {
			continue
		}
		t.Run(tg.dir, func(t *testing.T) {
			got := render(t, tg.dir)
			if len(got) != len(base) {
				t.Fatalf("%d objects, the sample app has %d", len(got), len(base))
			}
			for _, b := range base {
				o, ok := find(got, b.Kind, b.Name)
				if !ok {
					t.Errorf("%s missing", b.ref())
					continue
				}
				if g, w := withoutProbe(o, tg.mode), withoutProbe(b, tg.mode); g != w {
					t.Errorf("%s changed beyond irsa-probe:\n got %s\nwant %s", b.ref(), g, w)
				}
			}
		})
	}
}

// withoutProbe is o as JSON, without what a component documents it adds.
func withoutProbe(o object, m mode) string {
	cp := object{Obj: o.Obj.(runtime.Object).DeepCopyObject()}
	if tpl, ok := podTemplate(cp); ok {
		spec := &tpl.Spec
		drop := func(cs []corev1.Container) []corev1.Container {
			cs = slices.DeleteFunc(cs, func(c corev1.Container) bool { return c.Name == probeContainer })
			if len(cs) == 0 {
				return nil
			}
			return cs
		}
		spec.InitContainers = drop(spec.InitContainers)
		spec.Containers = drop(spec.Containers)
		if m == classicSidecar && len(spec.Containers) > 0 {
			spec.Containers[0].ReadinessProbe = nil
		}
	}
	data, _ := json.Marshal(cp.Obj)
	return string(data)
}
