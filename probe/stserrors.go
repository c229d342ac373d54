package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// stsRule maps an AWS error code (and, where one code means several things,
// its message) to a finding. The table is the catalog's "detected from".
type stsRule struct {
	code      string
	message   *regexp.Regexp // nil: any message
	finding   Code
	transient bool // retried with backoff until the deadline
}

var stsRules = []stsRule{
	{code: "AccessDenied", message: regexp.MustCompile(`AssumeRoleWithWebIdentity`), finding: CodeTrustPolicyDenied},
	{code: "AccessDenied", finding: CodeSTSAccessDenied},
	{code: "InvalidIdentityToken", message: regexp.MustCompile(`No OpenIDConnect provider found`), finding: CodeOIDCProviderMissing},
	{code: "InvalidIdentityToken", message: regexp.MustCompile(`(?i)incorrect token audience`), finding: CodeTokenAudienceMismatch},
	{code: "InvalidIdentityToken", message: regexp.MustCompile(`(?i)thumbprint`), finding: CodeOIDCThumbprintMismatch},
	{code: "InvalidIdentityToken", message: regexp.MustCompile(`(?i)(retrieve|fetch).*(verification )?key`), finding: CodeOIDCKeysUnreachable},
	{code: "InvalidIdentityToken", finding: CodeSTSInvalidIdentityToken},
	{code: "IDPRejectedClaim", finding: CodeSTSInvalidIdentityToken},
	// AWS documents IDPCommunicationError as often transient; a private
	// issuer keeps failing until the deadline, which is then the verdict.
	{code: "IDPCommunicationError", finding: CodeOIDCKeysUnreachable},
	{code: "ExpiredTokenException", finding: CodeTokenExpired},
	{code: "ExpiredToken", finding: CodeSTSInvalidClientToken},
	{code: "RegionDisabledException", finding: CodeSTSRegionDisabled},
	{code: "InvalidClientTokenId", finding: CodeSTSInvalidClientToken},
	{code: "ValidationError", message: regexp.MustCompile(`(?i)roleArn`), finding: CodeRoleARNMalformed},
	{code: "Throttling", finding: CodeSTSThrottled, transient: true},
	{code: "ThrottlingException", finding: CodeSTSThrottled, transient: true},
	{code: "RequestLimitExceeded", finding: CodeSTSThrottled, transient: true},
	{code: "TooManyRequestsException", finding: CodeSTSThrottled, transient: true},
	{code: "InternalFailure", finding: CodeSTSUnreachable, transient: true},
	{code: "InternalError", finding: CodeSTSUnreachable, transient: true},
	{code: "ServiceUnavailable", finding: CodeSTSUnreachable, transient: true},
}

// callError is a classified failure of one AWS call.
type callError struct {
	finding   Code
	transient bool
	ev        Evidence
	err       error
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

var providerIssuerRE = regexp.MustCompile(`No OpenIDConnect provider found in your account for (\S+)`)

// classify turns an SDK error into a finding code and evidence, keeping the
// AWS error code, message and request id.
func classify(err error, endpoint string) *callError {
	ce := &callError{err: err, ev: Evidence{EvEndpoint: endpoint}}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		ce.ev[EvRequestID] = re.ServiceRequestID()
		if sc := re.HTTPStatusCode(); sc != 0 {
			ce.ev[EvHTTPStatus] = strconv.Itoa(sc)
		}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code, msg := api.ErrorCode(), api.ErrorMessage()
		ce.ev[EvErrorCode], ce.ev[EvErrorMessage] = code, msg
		for _, rule := range stsRules {
			if rule.code == code && (rule.message == nil || rule.message.MatchString(msg)) {
				ce.finding, ce.transient = rule.finding, rule.transient
				if ce.finding == CodeSTSUnreachable {
					ce.ev[EvLayer] = "HTTP"
					ce.ev[EvDetail] = code + ": " + msg
				}
				if m := providerIssuerRE.FindStringSubmatch(msg); m != nil {
					ce.ev[EvSTSIssuer] = strings.TrimRight(m[1], ".")
				}
				return ce
			}
		}
		if sc := ce.ev[EvHTTPStatus]; strings.HasPrefix(sc, "5") {
			ce.finding, ce.transient = CodeSTSUnreachable, true
			ce.ev[EvLayer], ce.ev[EvDetail] = "HTTP", "HTTP "+sc+" "+code
			return ce
		}
		ce.finding = CodeSTSError
		return ce
	}
	if sc := ce.ev[EvHTTPStatus]; sc != "" {
		// An answer that is not AWS's: a proxy or load balancer in the way.
		ce.finding, ce.transient = CodeSTSUnreachable, strings.HasPrefix(sc, "5") || sc == "429"
		ce.ev[EvLayer], ce.ev[EvDetail] = "HTTP", "HTTP "+sc+" without an AWS error body"
		return ce
	}
	ce.finding, ce.transient = CodeSTSUnreachable, true
	ce.ev[EvLayer], ce.ev[EvDetail] = networkLayer(err), rootCause(err)
	ce.ev[EvProxy] = proxyInEffect()
	return ce
}

// networkLayer says which layer of the connection failed.
func networkLayer(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return "DNS"
	case strings.Contains(err.Error(), "proxyconnect"):
		return "proxy"
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &recErr),
		strings.Contains(err.Error(), "tls: "):
		return "TLS"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "TCP"
	case errors.Is(err, context.Canceled):
		return "cancelled (SIGTERM)"
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "timeout"):
		return "timeout"
	}
	return "HTTP"
}

// rootCause is the innermost error text: the SDK's wrapping repeats the
// operation name, which the finding already says.
func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// proxyInEffect names the proxy variables the transport honours, if set.
func proxyInEffect() string {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		if v, ok := lookupEnv(k); ok && v != "" {
			if np, _ := lookupEnv("NO_PROXY"); np != "" {
				return k + "=" + redactURL(v) + " (NO_PROXY=" + np + ")"
			}
			return k + "=" + redactURL(v)
		}
	}
	return ""
}

// redactURL drops a password from a proxy URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
