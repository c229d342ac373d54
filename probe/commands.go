package probe

// Commands the binary has; the manifests' args must name one of them.
const (
	CmdCheck       = "check"
	CmdServe       = "serve"
	CmdTrustPolicy = "trust-policy"
	CmdVersion     = "version"
)

// CommandNames lists the binary's commands.
func CommandNames() []string {
	return []string{CmdCheck, CmdServe, CmdTrustPolicy, CmdVersion}
}

// HTTP paths `serve` answers; probes in manifests must use one of them.
const (
	PathHealthz = "/healthz"
	PathReadyz  = "/readyz"
	PathLivez   = "/livez"
	PathMetrics = "/metrics"
)

// ServePaths lists the paths `serve` answers.
func ServePaths() []string {
	return []string{PathHealthz, PathReadyz, PathLivez, PathMetrics}
}
