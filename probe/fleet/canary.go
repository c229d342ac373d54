package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// The labels of every canary Job and its pod: the run's id selects what
// one run created, to watch and to delete it.
const (
	LabelName   = "app.kubernetes.io/name"
	LabelPart   = "app.kubernetes.io/component"
	LabelRun    = "irsa-probe.io/run"
	LabelCanary = "irsa-probe.io/canary"
	canaryName  = "irsa-probe"
	canaryPart  = "canary"
	// canaryContainer is the canary pod's one container.
	canaryContainer = "irsa-probe"
	canaryUID       = 65532 // the image's USER
)

// Canary verdicts, beside check's ok, broken and undecided.
const (
	CanaryOK        = "ok"
	CanaryBroken    = "broken"
	CanaryUndecided = "undecided"
	// CanaryError: the canary did not run to a report (creation refused,
	// never scheduled, image not pulled, canceled).
	CanaryError = "error"
)

// The canary's own failures: stable codes, like the drift codes.
const (
	CodeCanaryForbidden     = "canary-forbidden"     // RBAC refused the Job
	CodeCanaryRefused       = "canary-refused"       // the Job was refused otherwise (admission, a webhook)
	CodeCanaryImagePull     = "canary-image-pull"    // the image cannot be pulled
	CodeCanaryNotStarted    = "canary-not-started"   // the container was not created or started
	CodeCanaryUnschedulable = "canary-unschedulable" // never scheduled before the deadline
	CodeCanaryNoPod         = "canary-no-pod"        // the Job made no pod (quota, LimitRange, admission)
	CodeCanaryNoReport      = "canary-no-report"     // it exited without check's JSON report
	CodeCanaryTimeout       = "canary-timeout"       // no report before the deadline
	CodeCanaryCanceled      = "canary-canceled"      // Ctrl-C, SIGTERM
	// CodeCanaryReportInvalid: the canary's report names a code that is
	// not in the plugin's catalog, or a severity that is not one of its
	// three. The report is data: what it says is not passed on.
	CodeCanaryReportInvalid = "canary-report-invalid"
)

// CanaryCodes lists the canary's own codes.
func CanaryCodes() []string {
	return []string{CodeCanaryForbidden, CodeCanaryRefused, CodeCanaryImagePull, CodeCanaryNotStarted, CodeCanaryUnschedulable,
		CodeCanaryNoPod, CodeCanaryNoReport, CodeCanaryTimeout, CodeCanaryCanceled, CodeCanaryReportInvalid}
}

// Canary is what a canary Job proved about one identity.
type Canary struct {
	Job     string `json:"job"`
	Verdict string `json:"verdict"`
	// Code is the first problem's finding code (check's catalog) or the
	// canary's own failure (CanaryCodes).
	Code     string `json:"code,omitempty"`
	Message  string `json:"message,omitempty"`
	Fix      string `json:"fix,omitempty"`
	Identity string `json:"identity,omitempty"` // the ARN STS answered with
	ExitCode *int   `json:"exitCode,omitempty"`
}

// CanaryOptions shape every canary Job of a run.
type CanaryOptions struct {
	RunID string
	Image string
	// Timeout bounds each canary (activeDeadlineSeconds) and the wait.
	Timeout time.Duration
	// TTL removes a finished Job the plugin could not delete.
	TTL time.Duration
	// PodSpec are fields merged into the canary's pod spec, where the
	// cluster needs them (see PodSpecFields): a node pool's selector and
	// tolerations, a private registry's pull secret, a RuntimeClass.
	PodSpec map[string]json.RawMessage
}

// PodSpecFields are the pod spec fields a canary may be given: where and
// how it runs, never who it runs as or with which privileges.
var PodSpecFields = []string{"nodeSelector", "tolerations", "affinity", "imagePullSecrets", "priorityClassName",
	"runtimeClassName", "hostNetwork", "dnsPolicy", "dnsConfig"}

// ParsePodSpec reads --canary-pod-spec's JSON object: only PodSpecFields.
func ParsePodSpec(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	for k := range m {
		if !slices.Contains(PodSpecFields, k) {
			return nil, fmt.Errorf("field %q is not one a canary may set (%s)", k, strings.Join(PodSpecFields, ", "))
		}
	}
	return m, nil
}

// JobName is the canary Job's name for an identity:
// irsa-probe-RUN-SA-HASH, HASH a hash of the service account's name, so
// that names the cut or the character mapping would merge (a.b and a-b,
// two long names sharing a prefix) stay apart. At most 52 characters, so
// that the pod's name (JOB-xxxxx) and the job-name label stay within 63.
func JobName(runID, serviceAccount string) string {
	h := fnv.New32a()
	h.Write([]byte(serviceAccount))
	sum := fmt.Sprintf("-%08x", h.Sum32())
	n := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, "irsa-probe-"+runID+"-"+strings.ToLower(serviceAccount))
	return strings.TrimRight(n[:min(len(n), 52-len(sum))], "-") + sum
}

// CanaryJob is the batch/v1 Job that runs `irsa-probe check --output
// json` as the identity's service account: the webhook injects exactly
// what it injects into the application's pods. Restricted Pod Security,
// tiny requests, a deadline, a TTL, never retried.
func CanaryJob(id *Identity, o CanaryOptions) []byte {
	name := JobName(o.RunID, id.ServiceAccount)
	labels := map[string]string{LabelName: canaryName, LabelPart: canaryPart, LabelRun: o.RunID, LabelCanary: name}
	deadline := int64(max(o.Timeout/time.Second, 1))
	ttl := int32(max(o.TTL/time.Second, 0))
	check := min(30*time.Second, max(o.Timeout/2, 5*time.Second))
	args := []string{"check", "--output=json", "--termination-log=", "--timeout=" + check.String(),
		"--expect-service-account=" + id.Namespace + ":" + id.ServiceAccount}
	if r := id.Role(); r != "" {
		args = append(args, "--expect-role-arn="+r)
	}
	yes, no, uid := true, false, int64(canaryUID)
	zero := int32(0)
	job := jobSpec{APIVersion: "batch/v1", Kind: "Job"}
	job.Metadata = jobMeta{Name: name, Namespace: id.Namespace, Labels: labels}
	job.Spec.BackoffLimit = &zero
	job.Spec.ActiveDeadlineSeconds = &deadline
	job.Spec.TTLSecondsAfterFinished = &ttl
	job.Spec.Template.Metadata = jobMeta{Labels: labels}
	ps := &job.Spec.Template.Spec
	ps.ServiceAccountName = id.ServiceAccount
	ps.RestartPolicy = "Never"
	ps.SecurityContext = &kube.SecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid, SeccompProfile: &kube.SeccompProfile{Type: "RuntimeDefault"}}
	ps.Containers = []canaryContainerSpec{{
		Name: canaryContainer, Image: o.Image, Args: args,
		Resources: resources{Requests: map[string]string{"cpu": "10m", "memory": "32Mi"}, Limits: map[string]string{"memory": "64Mi"}},
		SecurityContext: &kube.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, RunAsNonRoot: &yes,
			Capabilities: &kube.Capabilities{Drop: []string{"ALL"}}, SeccompProfile: &kube.SeccompProfile{Type: "RuntimeDefault"}},
	}}
	b, err := json.Marshal(job)
	if err != nil {
		panic(err) // plain structs
	}
	if len(o.PodSpec) == 0 {
		return b
	}
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	spec := doc["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	for k, v := range o.PodSpec {
		spec[k] = v
	}
	if b, err = json.Marshal(doc); err != nil {
		panic(err) // valid JSON values only (ParsePodSpec)
	}
	return b
}

// The Job's fields, named and typed as batch/v1's (the tests decode it
// strictly into k8s.io/api).
type jobSpec struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Metadata   jobMeta `json:"metadata"`
	Spec       struct {
		BackoffLimit            *int32 `json:"backoffLimit"`
		ActiveDeadlineSeconds   *int64 `json:"activeDeadlineSeconds"`
		TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished"`
		Template                struct {
			Metadata jobMeta `json:"metadata"`
			Spec     struct {
				ServiceAccountName string                `json:"serviceAccountName"`
				RestartPolicy      string                `json:"restartPolicy"`
				SecurityContext    *kube.SecurityContext `json:"securityContext"`
				Containers         []canaryContainerSpec `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

type jobMeta struct {
	Name      string            `json:"name,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Labels    map[string]string `json:"labels"`
}

type canaryContainerSpec struct {
	Name            string                `json:"name"`
	Image           string                `json:"image"`
	Args            []string              `json:"args"`
	Resources       resources             `json:"resources"`
	SecurityContext *kube.SecurityContext `json:"securityContext"`
}

type resources struct {
	Requests map[string]string `json:"requests"`
	Limits   map[string]string `json:"limits"`
}

// checkReport is the part of `irsa-probe check --output json`'s report a
// canary reads.
type checkReport struct {
	OK       bool `json:"ok"`
	Identity *struct {
		ARN string `json:"arn"`
	} `json:"identity"`
	Mechanism string `json:"mechanism"`
	Checks    []struct {
		Name string `json:"name"`
	} `json:"checks"`
	Findings []struct {
		Code     string           `json:"code"`
		Severity finding.Severity `json:"severity"`
		Message  string           `json:"message"`
	} `json:"findings"`
}

// maxLogLine caps one line of the canary's log.
const maxLogLine = 1 << 20

// ReadCanaryLog is the canary's verdict from its pod's log: the report is
// the line that decodes as check's JSON (retries are logged on stderr,
// which the log interleaves). exit is the container's exit code.
func ReadCanaryLog(log []byte, exit int) Canary {
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), maxLogLine)
	var first string
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if first == "" && len(line) > 0 {
			first = string(line)
		}
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var r checkReport
		if json.Unmarshal(line, &r) != nil || r.Checks == nil {
			continue
		}
		c := Canary{Verdict: CanaryOK, ExitCode: &exit}
		if r.Identity != nil {
			c.Identity = finding.Escape(capText(r.Identity.ARN))
		}
		// The verdict is the exit code the kubelet saw, not what the log
		// claims.
		switch exit {
		case 0:
		case 1:
			c.Verdict = CanaryBroken
		case 3:
			c.Verdict = CanaryUndecided
		default:
			c.Verdict = CanaryError
		}
		for _, f := range r.Findings {
			if !slices.Contains([]finding.Severity{finding.SeverityError, finding.SeverityUndecided, finding.SeverityWarning}, f.Severity) ||
				!finding.Known(finding.Code(f.Code)) {
				c.Code = CodeCanaryReportInvalid
				c.Message = fmt.Sprintf("the canary exited %d with a report naming code %q (severity %q), which is not in this plugin's catalog: the report is not trusted", exit, capText(f.Code), capText(string(f.Severity)))
				if c.Verdict == CanaryOK {
					c.Verdict = CanaryError
				}
				return c
			}
		}
		for _, sev := range []finding.Severity{finding.SeverityError, finding.SeverityUndecided, finding.SeverityWarning} {
			for _, f := range r.Findings {
				if f.Severity == sev && c.Code == "" {
					c.Code, c.Message = f.Code, finding.Escape(capN(f.Message, 2048))
				}
			}
		}
		return c
	}
	first = capText(first)
	return Canary{Verdict: CanaryError, Code: CodeCanaryNoReport, ExitCode: &exit,
		Message: fmt.Sprintf("the canary exited %d without a report; its log begins %q", exit, first)}
}

// capText cuts a value read from a canary's log to 200 bytes, for a
// message.
func capText(s string) string { return capN(s, 200) }

// capN cuts s to n bytes, on a rune boundary.
func capN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
