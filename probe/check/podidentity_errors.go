package check

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// The Pod Identity agent's answers, classified by their exact texts. The
// agent writes every error as plain text with http.Error (so a trailing
// newline), from these places in aws/eks-pod-identity-agent:
//
//	internal/validation/request.go  400 "Service account token cannot be empty"
//	                                400 "Service account token cannot be parsed: <golang-jwt error>"
//	                                400 "Service account token failed basic claim validations: <error>"
//	                                403 via pkg/errors AccessDeniedError: "Access Denied. Called agent
//	                                    through invalid address, please use either [169.254.170.23
//	                                    fd00:ec2::23] address not HOST"
//	internal/middleware/rate_limiter  429 "Too Many Requests"
//	pkg/errors HandleCredentialFetchingError  EKS Auth's errors with EKS Auth's status:
//	                                "[REQUEST_ID]: (CODE): MESSAGE, fault: client|server", else the
//	                                Go error's text with 500 (EKS Auth not reached).
var (
	agentInvalidAddressPrefix = "Access Denied. Called agent through invalid address"
	agentClaimsPrefix         = "Service account token failed basic claim validations: "
	agentTokenPrefix          = "Service account token cannot be"
	eksAuthErrorRE            = regexp.MustCompile(`(?s)^\[([^\]]*)\]: \(([A-Za-z]+)\): (.*), fault: (client|server|unknown)$`)
)

// maxAgentMessage bounds the agent's text in the evidence.
const maxAgentMessage = 512

// agentError is a classified failure of the agent call.
func (r *run) agentError(code finding.Code, transient bool, ev finding.Evidence, err error) *callError {
	ev[finding.EvAgentURL] = r.cfg.AWS.ContainerCredentialsFullURI
	return &callError{finding: code, transient: transient, ev: ev, err: err}
}

// classifyAgentAnswer maps an agent answer other than 200 to a finding.
func (r *run) classifyAgentAnswer(status int, body string) *callError {
	text := strings.TrimSpace(body)
	ev := finding.Evidence{finding.EvHTTPStatus: strconv.Itoa(status), finding.EvErrorMessage: truncate(text, maxAgentMessage), finding.EvLayer: "HTTP"}
	err := fmt.Errorf("agent answered %d: %s", status, truncate(text, maxAgentMessage))
	if m := eksAuthErrorRE.FindStringSubmatch(text); m != nil {
		ev[finding.EvRequestID], ev[finding.EvErrorCode], ev[finding.EvErrorMessage] = m[1], m[2], truncate(m[3], maxAgentMessage)
		code, transient := eksAuthFinding(m[2], m[3], status)
		if code == finding.CodeTokenMalformed && r.hasDoubt(finding.CodeTokenAudienceMismatch) {
			code = finding.CodeTokenAudienceMismatch // EKS Auth says "invalid"; the local check said why
		}
		return r.agentError(code, transient, ev, err)
	}
	switch {
	case status == http.StatusForbidden && strings.HasPrefix(text, agentInvalidAddressPrefix):
		ev[finding.EvProxy], ev[finding.EvNoProxy] = agentProxyVars()
		return r.agentError(finding.CodePodIdentityProxy, false, ev, err)
	case status == http.StatusTooManyRequests:
		return r.agentError(finding.CodePodIdentityThrottled, true, ev, err)
	case status == http.StatusBadRequest && strings.HasPrefix(text, agentClaimsPrefix):
		ev[finding.EvDetail] = strings.TrimPrefix(text, agentClaimsPrefix)
		switch {
		case strings.Contains(text, "token is expired"):
			ev[finding.EvErrorCode], ev[finding.EvNow] = "HTTP 400", fmtTime(r.cfg.Clock())
			return r.agentError(finding.CodeTokenExpired, false, ev, err)
		case strings.Contains(text, "token is not valid yet"):
			ev[finding.EvNow] = fmtTime(r.cfg.Clock())
			return r.agentError(finding.CodeTokenNotYetValid, false, ev, err)
		}
		return r.agentError(finding.CodeTokenMalformed, false, ev, err)
	case status == http.StatusBadRequest && strings.HasPrefix(text, agentTokenPrefix):
		ev[finding.EvDetail] = "the agent says: " + truncate(text, maxAgentMessage)
		return r.agentError(finding.CodeTokenMalformed, false, ev, err)
	case status >= 500:
		// EKS Auth not reached (no eks-auth endpoint, no route): the agent
		// passes the Go error. Retried: it may be a blip.
		ev[finding.EvDetail] = "the agent could not reach EKS Auth"
		return r.agentError(finding.CodePodIdentityAgentError, true, ev, err)
	}
	ev[finding.EvDetail] = "an answer the agent does not give: is AWS_CONTAINER_CREDENTIALS_FULL_URI the agent?"
	return r.agentError(finding.CodePodIdentityAgentError, false, ev, err)
}

// eksAuthFinding maps an EKS Auth error code the agent passed on (EKS Auth
// API reference, AssumeRoleForPodIdentity errors) to a finding.
func eksAuthFinding(code, msg string, status int) (finding.Code, bool) {
	switch code {
	case "AccessDeniedException":
		if strings.Contains(msg, "eks-auth:AssumeRoleForPodIdentity") {
			return finding.CodePodIdentityAgentError, false // the node role may not call EKS Auth
		}
		return finding.CodePodIdentityDenied, false
	case "ResourceNotFoundException":
		return finding.CodePodIdentityAssociationMissing, false
	case "ExpiredTokenException":
		return finding.CodeTokenExpired, false
	case "InvalidTokenException":
		return finding.CodeTokenMalformed, false
	case "ThrottlingException":
		return finding.CodePodIdentityThrottled, true
	case "InternalServerException", "ServiceUnavailableException":
		return finding.CodePodIdentityAgentError, true
	}
	return finding.CodePodIdentityAgentError, status >= 500
}

// agentNetworkError classifies a failure to get any answer from the agent:
// through a proxy, refused (nothing listens: no agent on the node), or
// timed out (dropped on the way).
func (r *run) agentNetworkError(req *http.Request, err error) *callError {
	if ev, ok := certFailure(err, r.cfg.AWS.ContainerCredentialsFullURI); ok {
		ev[finding.EvLayer] = "TLS"
		return r.agentError(finding.CodeTLSCertificateUntrusted, false, ev, err)
	}
	ev := finding.Evidence{finding.EvDetail: rootCause(err)}
	if p, perr := http.ProxyFromEnvironment(req); perr == nil && p != nil {
		ev[finding.EvProxy], ev[finding.EvNoProxy] = agentProxyVars()
		ev[finding.EvLayer] = "proxy"
		return r.agentError(finding.CodePodIdentityProxy, false, ev, err)
	}
	switch layer := networkLayer(err); {
	case errors.Is(err, syscall.ECONNREFUSED):
		ev[finding.EvLayer] = "refused"
	default:
		ev[finding.EvLayer] = layer
	}
	ce := r.agentError(finding.CodePodIdentityAgentUnreachable, true, ev, err)
	if noAnswer(err) {
		ev[finding.EvDetail], ce.waited = "no answer (not even its status line)", true
	}
	return ce
}

// agentProxyVars names the proxy variable in effect (password dropped) and
// the NO_PROXY the fix extends.
func agentProxyVars() (proxy, noProxy string) {
	noProxy = os.Getenv("NO_PROXY")
	if noProxy == "" {
		noProxy = os.Getenv("no_proxy")
	}
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		if v := os.Getenv(k); v != "" {
			proxy = k + "=" + redactURL(v)
			break
		}
	}
	if proxy != "" && (!strings.Contains(noProxy, iam.PodIdentityAgentIPv4) || !strings.Contains(noProxy, iam.PodIdentityAgentIPv6)) {
		proxy += fmt.Sprintf(" and NO_PROXY=%q lacks %s and %s", noProxy, iam.PodIdentityAgentIPv4, iam.PodIdentityAgentIPv6)
	}
	return proxy, noProxyFor(noProxy)
}

// hasDoubt says whether the run holds a doubt of code.
func (r *run) hasDoubt(code finding.Code) bool {
	for _, e := range r.found {
		if e.doubt && e.Code == code {
			return true
		}
	}
	return false
}
