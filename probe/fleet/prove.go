package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

// Kube is what proving needs of a cluster; the kubectl plugin implements
// it with kubectl, the tests with a fake.
type Kube interface {
	// CreateJob creates a Job from its JSON in namespace and returns the
	// uid the API server gave it (from the create's own output): only a
	// pod whose controller is that uid speaks for the canary.
	CreateJob(ctx context.Context, namespace string, job []byte) (uid string, err error)
	// CanaryPods lists the pods of every canary of run, in one call. Any
	// namespace editor can label a pod like a canary: settle keeps only
	// those a canary Job controls.
	CanaryPods(ctx context.Context, runID string) ([]Pod, error)
	// Logs is a pod's container's log.
	Logs(ctx context.Context, namespace, pod, container string) ([]byte, error)
	// DeleteRun deletes the run's Jobs and their pods in namespace, by
	// the run's label.
	DeleteRun(ctx context.Context, namespace, runID string) error
}

// ProveOptions shape a run of canaries.
type ProveOptions struct {
	CanaryOptions
	// Parallel is how many canaries run at once (default 5).
	Parallel int
	// Poll is how often the canaries' pods are listed (default 1 s).
	Poll time.Duration
	// Cleanup bounds the deletion at the end (default 30 s), which runs
	// even when ctx was canceled.
	Cleanup time.Duration
	// Kubectl are the global flags of the commands the results print.
	Kubectl []string
	// Issuer is the cluster's OIDC issuer when the plugin knows it
	// (--issuer, or the API server's discovery document), and Cluster
	// its EKS name (--cluster): the fixes name them instead of
	// placeholders. Never taken from a canary's log.
	Issuer, Cluster string
}

// running is a canary that was created and has no verdict yet.
type running struct {
	id       *Identity
	job      string
	uid      string // the Job's, from the API server
	deadline time.Time
	// waiting is why its pod has not run yet, for the timeout's message.
	waiting string
}

// Prove runs a canary Job for each identity, at most Parallel at once,
// each until it reports or its deadline, and sets id.Canary. Every Job it
// created is deleted before it returns, whatever happened (cleanup errors
// are returned). A canceled ctx ends the canaries still running as
// canary-canceled.
func Prove(ctx context.Context, k Kube, ids []*Identity, o ProveOptions) error {
	if o.Parallel < 1 {
		o.Parallel = 5
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Cleanup <= 0 {
		o.Cleanup = 30 * time.Second
	}
	var namespaces []string
	queue := slices.Clone(ids)
	var active []*running
	for len(queue) > 0 || len(active) > 0 {
		for len(active) < o.Parallel && len(queue) > 0 && ctx.Err() == nil {
			id := queue[0]
			queue = queue[1:]
			if !slices.Contains(namespaces, id.Namespace) {
				namespaces = append(namespaces, id.Namespace)
			}
			job := JobName(o.RunID, id.ServiceAccount)
			uid, err := k.CreateJob(ctx, id.Namespace, CanaryJob(id, o.CanaryOptions))
			if err == nil && uid == "" {
				err = errors.New("the API server's answer named no uid for the Job")
			}
			if err != nil {
				id.Canary = createFailed(job, id, err, o)
				if ctx.Err() != nil { // killed by the interrupt, maybe after the API server took it
					id.Canary = &Canary{Job: job, Verdict: CanaryError, Code: CodeCanaryCanceled, Message: "canceled while the canary Job was being created"}
				}
				continue
			}
			active = append(active, &running{id: id, job: job, uid: uid, deadline: time.Now().Add(o.Timeout)})
		}
		if ctx.Err() != nil {
			break
		}
		if len(active) == 0 {
			continue
		}
		pods, err := k.CanaryPods(ctx, o.RunID)
		if err != nil && ctx.Err() == nil {
			for _, r := range active {
				r.waiting = "its pod could not be listed: " + finding.Escape(err.Error())
			}
		}
		active = slices.DeleteFunc(active, func(r *running) bool { return settle(ctx, k, r, pods, o) })
		if len(active) == 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(o.Poll):
		}
	}
	for _, r := range active {
		r.id.Canary = &Canary{Job: r.job, Verdict: CanaryError, Code: CodeCanaryCanceled, Message: "canceled before the canary reported"}
	}
	for _, id := range queue {
		id.Canary = &Canary{Verdict: CanaryError, Code: CodeCanaryCanceled, Message: "canceled before the canary was created"}
	}
	// Delete with a context of its own: Ctrl-C canceled ctx, and the Jobs
	// must go anyway.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.Cleanup)
	defer cancel()
	var errs []error
	for _, ns := range namespaces {
		if derr := k.DeleteRun(cctx, ns, o.RunID); derr != nil {
			errs = append(errs, &CleanupError{Namespace: ns, RunID: o.RunID, Err: derr,
				Command: commandOrWhy(slices.Concat([]string{"kubectl", "delete", "jobs", "--namespace=" + ns, "--selector=" + LabelRun + "=" + o.RunID}, o.Kubectl))})
		}
	}
	return errors.Join(errs...)
}

// settle looks at a running canary's pod and decides it when it can:
// finished (its log's report), an image that cannot be pulled, or past
// its deadline. It reports whether the canary is settled.
func settle(ctx context.Context, k Kube, r *running, pods []Pod, o ProveOptions) bool {
	var p *Pod
	for i := range pods {
		if c := pods[i].Metadata.Controller(); c != nil && c.UID == r.uid && c.Kind == "Job" && pods[i].Metadata.Namespace == r.id.Namespace {
			p = &pods[i]
			break
		}
	}
	fail := func(code, msg, fix string) bool {
		r.id.Canary = &Canary{Job: r.job, Verdict: CanaryError, Code: code, Message: msg, Fix: fix}
		return true
	}
	events := "See the canary Job's events:\n" + commandOrWhy(slices.Concat([]string{"kubectl", "get", "events", "--namespace=" + r.id.Namespace, "--field-selector=involvedObject.name=" + r.job}, o.Kubectl))
	if p != nil {
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && cs.Name == canaryContainer {
				log, err := k.Logs(ctx, r.id.Namespace, p.Metadata.Name, canaryContainer)
				if err != nil {
					return fail(CodeCanaryNoReport, fmt.Sprintf("the canary exited %d and its log could not be read: %s", t.ExitCode, finding.Escape(err.Error())), "")
				}
				c := ReadCanaryLog(log, t.ExitCode)
				c.Job = r.job
				// The fix is the plugin's own catalog's, over what the
				// plugin knows of the identity; never the log's. It names
				// no pod: the canary's goes with its Job at the end.
				c.Fix = catalogFix(c.Code, r.id, o)
				if c.Code == CodeCanaryReportInvalid {
					c.Fix = "The canary's image speaks another catalog than this plugin's (another release), or its log was written by something else. Prove again with this plugin's own release: --image=REGISTRY/irsa-probe:" + finding.Escape(imageTag(o.Image))
				}
				r.id.Canary = &c
				return true
			}
			if w := cs.State.Waiting; w != nil {
				switch w.Reason {
				case "ErrImagePull", "ImagePullBackOff", "InvalidImageName":
					return fail(CodeCanaryImagePull, fmt.Sprintf("the canary's image %s cannot be pulled: %s: %s", finding.Escape(o.Image), finding.Escape(w.Reason), finding.Escape(w.Message)),
						"Use a copy the nodes can pull: --image=REGISTRY/irsa-probe:"+finding.Escape(imageTag(o.Image)))
				case "CreateContainerConfigError", "CreateContainerError":
					return fail(CodeCanaryNotStarted, fmt.Sprintf("the canary's container was not started: %s: %s", finding.Escape(w.Reason), finding.Escape(w.Message)), events)
				}
				r.waiting = "its container waits: " + finding.Escape(w.Reason)
			}
		}
		for _, c := range p.Status.Conditions {
			if c.Type == "PodScheduled" && c.Status == "False" {
				r.waiting = fmt.Sprintf("its pod was never scheduled: %s: %s", finding.Escape(c.Reason), finding.Escape(c.Message))
			}
		}
		if p.Status.Phase == "Failed" && len(p.Status.ContainerStatuses) == 0 {
			return fail(CodeCanaryNotStarted, "the canary's pod failed before its container started", events)
		}
	}
	if time.Now().Before(r.deadline) {
		return false
	}
	if p == nil && r.waiting == "" {
		return fail(CodeCanaryNoPod, fmt.Sprintf("the canary Job %s created no pod within %s (a ResourceQuota, a LimitRange or admission refused it)", r.job, o.Timeout), events)
	}
	if strings.HasPrefix(r.waiting, "its pod was never scheduled") {
		return fail(CodeCanaryUnschedulable, fmt.Sprintf("the canary did not run within %s: %s", o.Timeout, r.waiting), events)
	}
	if r.waiting == "" {
		r.waiting = "its pod is " + finding.Escape(strings.ToLower(p.Status.Phase))
	}
	return fail(CodeCanaryTimeout, fmt.Sprintf("the canary did not report within %s (%s)", o.Timeout, r.waiting), events)
}

// createFailed is the canary of a Job the API server refused.
func createFailed(job string, id *Identity, err error, o ProveOptions) *Canary {
	msg := finding.Escape(err.Error())
	if strings.Contains(msg, "(Forbidden)") && strings.Contains(msg, "cannot create resource \"jobs\"") {
		return &Canary{Job: job, Verdict: CanaryError, Code: CodeCanaryForbidden,
			Message: "creating the canary Job was refused: " + msg,
			Fix: "Grant create, list and delete on jobs and list on pods and pods/log in namespace " + finding.Escape(id.Namespace) + "; check with:\n" +
				commandOrWhy(slices.Concat([]string{"kubectl", "auth", "can-i", "create", "jobs", "--namespace=" + id.Namespace}, o.Kubectl))}
	}
	return &Canary{Job: job, Verdict: CanaryError, Code: CodeCanaryRefused, Message: "creating the canary Job failed: " + msg}
}

// imageTag is the tag of an image reference, "TAG" when it has none.
func imageTag(image string) string {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return "TAG"
	}
	return image[i+1:]
}

// CleanupError is a namespace whose canary Jobs could not be deleted:
// the run fails, and says the command that deletes them.
type CleanupError struct {
	Namespace, RunID string
	// Command is the delete command, indented, or a line saying why it
	// cannot be printed.
	Command string
	Err     error
}

func (e *CleanupError) Error() string {
	return fmt.Sprintf("the canary Jobs of run %s in namespace %s were not deleted: %s; delete them with:\n%s",
		e.RunID, finding.Escape(e.Namespace), finding.Escape(e.Err.Error()), e.Command)
}

func (e *CleanupError) Unwrap() error { return e.Err }

// commandOrWhy is argv as a fix's command line (indented by two spaces,
// the catalog's form), or a prose line saying why it is not printed.
func commandOrWhy(argv []string) string {
	line, err := shellcmd.Line(argv...)
	if err != nil {
		return "The command is not printed: " + err.Error()
	}
	if commandHook != nil {
		commandHook(line, argv)
	}
	return "  " + line
}

// catalogFix is the fix of a report's code from the plugin's own catalog,
// filled with what the plugin knows of the identity and the cluster: a
// canary's log is data, and its fix is never printed.
func catalogFix(code string, id *Identity, o ProveOptions) string {
	if !finding.Known(finding.Code(code)) {
		return ""
	}
	ev := finding.Evidence{finding.EvNamespace: id.Namespace, finding.EvServiceAccount: id.ServiceAccount,
		finding.EvSubject: "system:serviceaccount:" + id.Namespace + ":" + id.ServiceAccount, finding.EvMechanism: id.Mechanism}
	if r := id.Role(); r != "" {
		ev[finding.EvRole], ev[finding.EvExpectedRole] = r, r
		if arn, err := iam.ParseRoleARN(r); err == nil {
			ev[finding.EvPartition], ev[finding.EvAccount] = arn.Partition, arn.Account
		}
	}
	if o.Issuer != "" {
		ev[finding.EvIssuer] = o.Issuer
	}
	if o.Cluster != "" {
		ev[finding.EvCluster] = o.Cluster
	}
	return finding.New(finding.Code(code), ev).Fix
}
