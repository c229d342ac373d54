// Package probe is the map of irsa-probe, which proves a pod's AWS
// identity on Amazon EKS works, or says what is wrong and how to fix it.
// The code lives in one package per concern below it; their imports form
// a DAG, from the bottom up (each imports only packages above it; a test
// checks):
//
//	verdict   the outcome of a check (ok, broken, undecided) and the exit
//	          codes of both binaries, in one table
//	hint      error and hint lines on stderr, the same in both binaries
//	shellcmd  the one renderer of printed commands: argv words to one line
//	          bash, dash and interactive zsh read back exactly; values a
//	          terminal would act on are refused, never printed
//	shellcmd/shelltest  for tests: a real shell parser's reading of a printed
//	          line, and pastes into bash, dash and zsh against stub commands
//	suggest   "did you mean": edit distance and the nearest known word
//	iam       role ARNs, partitions, regions, STS endpoints, trust policies,
//	          the identity mechanism and the issuer's URL and region
//	safefile  files named by the environment: opened without blocking, regular only, capped
//	appsdk    the AWS SDK a process runs (Go, Python, Node.js, Java) and its minimums
//	appsdk/appsdktest  applications built against old SDK releases, for appsdk's tests
//	target    check --target: another process's environment, root and executable
//	satoken   reading and decoding projected service-account tokens
//	oidc      the token's signature, verified against the issuer's JWKS as STS does
//	finding   the diagnosis catalog: codes, severities, messages and fixes
//	config    the AWS environment and the IRSA_PROBE_* settings, as one table
//	policy    trust policies evaluated as IAM does: which line denies, the minimal edit
//	check     one check, step by step (mechanism → env → token → signature → STS
//	          or the Pod Identity agent → default chain), error classification,
//	          the report and its renderings
//	serve     the check in a loop, readiness, /healthz /readyz /livez /metrics
//	cli       the commands: check, serve, trust-policy, version
//	kube      the one kubectl runner (its own process group, killed whole on
//	          cancel; output capped) and the partial Kubernetes objects
//	kube/kubefake  the one fake cluster the plugin's tests run kubectl against
//	fleet     kubectl irsa-probe -A: every identity of a cluster from three listings,
//	          drift, trust-policy impact, canary Jobs, table and JSON
//	eksapi    a cluster's EKS Pod Identity associations, with the workstation's credentials
//	ephemeral kubectl irsa-probe POD: the ephemeral container's plan (user,
//	          group, Pod Security, name) and its run through kubectl debug
//	migrate   kubectl irsa-probe --migrate: per IRSA service account, the readiness
//	          for EKS Pod Identity and the plan (trust, association, restart,
//	          verify, rollback) as commands from argv words
//	plugin    the kubectl plugin's command: flags, the single-pod and fleet modes
//	ststest   the test double: an OIDC issuer, STS, IMDS, the Pod Identity
//	          agent and the EKS API's association calls on 127.0.0.1
//	ststest/ekswebhook  the EKS pod identity webhook's double (the only part
//	          needing k8s.io/api): Mutate, the admission webhook, its registration
//	ststest/poll  bounded waits for tests: Eventually, WatchStatus
//
// A Go service can run the check itself: see the example of package check.
package probe
