package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// stsRule maps an AWS error code (and, where one code means several things,
// its message) to a finding. The table is the catalog's "detected from".
type stsRule struct {
	code      string
	message   *regexp.Regexp // nil: any message
	finding   finding.Code
	transient bool // retried with backoff until the deadline
}

var stsRules = []stsRule{
	{code: "AccessDenied", message: regexp.MustCompile(`AssumeRoleWithWebIdentity`), finding: finding.CodeTrustPolicyDenied},
	{code: "AccessDenied", finding: finding.CodeSTSAccessDenied},
	{code: "InvalidIdentityToken", message: regexp.MustCompile(`No OpenIDConnect provider found`), finding: finding.CodeOIDCProviderMissing},
	{code: "InvalidIdentityToken", message: regexp.MustCompile(`(?i)incorrect token audience`), finding: finding.CodeTokenAudienceMismatch},
	{code: "InvalidIdentityToken", message: regexp.MustCompile(`(?i)thumbprint`), finding: finding.CodeOIDCThumbprintMismatch},
	{code: "InvalidIdentityToken", message: regexp.MustCompile(`(?i)(retrieve|fetch).*(verification )?key`), finding: finding.CodeOIDCKeysUnreachable},
	{code: "InvalidIdentityToken", finding: finding.CodeSTSInvalidIdentityToken},
	{code: "IDPRejectedClaim", finding: finding.CodeSTSInvalidIdentityToken},
	// AWS documents IDPCommunicationError as often transient; a private
	// issuer keeps failing until the deadline, which is then the verdict.
	{code: "IDPCommunicationError", finding: finding.CodeOIDCKeysUnreachable},
	{code: "ExpiredTokenException", finding: finding.CodeTokenExpired},
	{code: "ExpiredToken", finding: finding.CodeSTSInvalidClientToken},
	{code: "RegionDisabledException", finding: finding.CodeSTSRegionDisabled},
	{code: "InvalidClientTokenId", finding: finding.CodeSTSInvalidClientToken},
	{code: "ValidationError", message: regexp.MustCompile(`(?i)roleArn`), finding: finding.CodeRoleARNMalformed},
	{code: "Throttling", finding: finding.CodeSTSThrottled, transient: true},
	{code: "ThrottlingException", finding: finding.CodeSTSThrottled, transient: true},
	{code: "RequestLimitExceeded", finding: finding.CodeSTSThrottled, transient: true},
	{code: "TooManyRequestsException", finding: finding.CodeSTSThrottled, transient: true},
	{code: "InternalFailure", finding: finding.CodeSTSUnreachable, transient: true},
	{code: "InternalError", finding: finding.CodeSTSUnreachable, transient: true},
	{code: "ServiceUnavailable", finding: finding.CodeSTSUnreachable, transient: true},
}

// callError is a classified failure of one AWS call.
type callError struct {
	finding   finding.Code
	transient bool
	// waited: a deadline cut the call; the detail then says how long it
	// waited (withRetry knows).
	waited bool
	ev     finding.Evidence
	err    error
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

var providerIssuerRE = regexp.MustCompile(`No OpenIDConnect provider found in your account for (\S+)`)

// classify turns an SDK error into a finding code and evidence, keeping the
// AWS error code, message and request id.
func classify(err error, endpoint string) *callError {
	ce := &callError{err: err, ev: finding.Evidence{finding.EvEndpoint: endpoint}}
	if ev, ok := certFailure(err, endpoint); ok {
		ce.finding = finding.CodeTLSCertificateUntrusted
		maps.Copy(ce.ev, ev)
		ce.ev[finding.EvLayer] = "TLS"
		return ce
	}
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		ce.ev[finding.EvRequestID] = re.ServiceRequestID()
		if status = re.HTTPStatusCode(); status != 0 {
			ce.ev[finding.EvHTTPStatus] = strconv.Itoa(status)
		}
	}
	if errors.Is(err, ErrResponseTooLarge) {
		ce.finding = finding.CodeSTSEndpointInvalid
		ce.ev[finding.EvDetail] = fmt.Sprintf("its answer (HTTP %d) is larger than %d KiB; STS's are a few KiB", status, MaxResponseBody>>10)
		return ce
	}
	if status >= 300 && status < 400 {
		// The HTTP client follows no redirect: STS never sends one.
		ce.finding = finding.CodeSTSEndpointInvalid
		ce.ev[finding.EvDetail] = fmt.Sprintf("it redirects (HTTP %d) to %q; STS never redirects", status, re.Response.Header.Get("Location"))
		return ce
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code, msg := api.ErrorCode(), api.ErrorMessage()
		ce.ev[finding.EvErrorCode], ce.ev[finding.EvErrorMessage] = code, msg
		for _, rule := range stsRules {
			if rule.code == code && (rule.message == nil || rule.message.MatchString(msg)) {
				ce.finding, ce.transient = rule.finding, rule.transient
				if ce.finding == finding.CodeSTSUnreachable {
					ce.ev[finding.EvLayer] = "HTTP"
					ce.ev[finding.EvDetail] = code + ": " + msg
				}
				if m := providerIssuerRE.FindStringSubmatch(msg); m != nil {
					ce.ev[finding.EvSTSIssuer] = strings.TrimRight(m[1], ".")
				}
				return ce
			}
		}
		if sc := ce.ev[finding.EvHTTPStatus]; strings.HasPrefix(sc, "5") {
			ce.finding, ce.transient = finding.CodeSTSUnreachable, true
			ce.ev[finding.EvLayer], ce.ev[finding.EvDetail] = "HTTP", "HTTP "+sc+" "+code
			return ce
		}
		ce.finding = finding.CodeSTSError
		return ce
	}
	if status != 0 && (timedOut(err) || errors.Is(err, context.Canceled)) {
		// The headers came and the body did not, before a deadline: the
		// network's doing (a congested link, a proxy holding the body),
		// not an endpoint that is not STS.
		ce.finding, ce.transient, ce.waited = finding.CodeSTSUnreachable, true, timedOut(err)
		ce.ev[finding.EvLayer] = networkLayer(err)
		ce.ev[finding.EvDetail] = fmt.Sprintf("the answer's status line and headers came (HTTP %d), its body did not arrive", status)
		ce.ev[finding.EvProxy] = proxyInEffect()
		return ce
	}
	if connectionLevel(err) {
		// Whatever the status: the SDK can fail a 200 when the connection
		// breaks under it (aws-sdk-go-v2 issues 1825, 2737, 2935), and a
		// retry on a new connection is the cure.
		ce.finding, ce.transient = finding.CodeSTSUnreachable, true
		ce.ev[finding.EvLayer], ce.ev[finding.EvDetail] = networkLayer(err), rootCause(err)
		ce.ev[finding.EvProxy] = proxyInEffect()
		return ce
	}
	if status >= 200 && status < 300 {
		ce.finding = finding.CodeSTSEndpointInvalid
		ce.ev[finding.EvDetail] = fmt.Sprintf("it answered HTTP %d with a body that is not STS's answer (%s)", status, rootCause(err))
		return ce
	}
	if sc := ce.ev[finding.EvHTTPStatus]; sc != "" {
		// An answer that is not AWS's: a proxy or load balancer in the way.
		ce.finding, ce.transient = finding.CodeSTSUnreachable, strings.HasPrefix(sc, "5") || sc == "429"
		ce.ev[finding.EvLayer], ce.ev[finding.EvDetail] = "HTTP", "HTTP "+sc+" without an AWS error body"
		return ce
	}
	if !networkish(err) {
		// The call went through, but what came back was unusable (the
		// SDK's "response did not contain credentials"): retrying the same
		// endpoint gets the same answer.
		ce.finding = finding.CodeSTSEndpointInvalid
		ce.ev[finding.EvDetail] = "its answer is not one STS gives: " + rootCause(err)
		return ce
	}
	ce.finding, ce.transient = finding.CodeSTSUnreachable, true
	ce.ev[finding.EvLayer], ce.ev[finding.EvDetail] = networkLayer(err), rootCause(err)
	if noAnswer(err) {
		ce.ev[finding.EvDetail], ce.waited = "no answer (not even its status line)", true
	}
	ce.ev[finding.EvProxy] = proxyInEffect()
	return ce
}

// timedOut reports whether err is a deadline passing (the check's, the
// attempt's or the transport's) rather than an answer or a refusal.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// noAnswer reports whether err is a deadline that passed while waiting
// for an answer on a connection made (not while dialling or in TLS).
func noAnswer(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) && networkLayer(err) == "timeout"
}

// within is how long a timed-out attempt waited, as evidence says it.
func within(d time.Duration) string {
	if d >= time.Second {
		d = d.Round(100 * time.Millisecond)
	} else {
		d = d.Round(time.Millisecond)
	}
	return " within " + d.String()
}

// networkish reports whether err is the network's: a transport error,
// a timeout or a cancellation, rather than an answer that arrived.
func networkish(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || connectionLevel(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// connectionLevel reports whether err is the connection failing (reset,
// closed, cut short) rather than an answer.
func connectionLevel(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// networkLayer says which layer of the connection failed, from the
// error's types: the texts differ between Go releases and platforms.
func networkLayer(err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var alertErr tls.AlertError
	var recErr tls.RecordHeaderError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return "DNS"
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		return "proxy"
	case errors.As(err, &certErr), errors.As(err, &alertErr), errors.As(err, &recErr),
		errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return "TLS"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "TCP"
	case errors.Is(err, context.Canceled):
		return "cancelled (SIGTERM)"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
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
		if v := os.Getenv(k); v != "" {
			if np := os.Getenv("NO_PROXY"); np != "" {
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
