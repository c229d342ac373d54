package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

func TestNetworkLayer(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&url.Error{Op: "Post", URL: "https://sts.us-west-2.amazonaws.com", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "sts.us-west-2.amazonaws.com", IsNotFound: true}}}, "DNS"},
		{&url.Error{Op: "Post", URL: "https://sts", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}}, "TCP"},
		{&url.Error{Op: "Post", URL: "https://sts", Err: &net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("connection refused")}}, "proxy"},
		{&url.Error{Op: "Post", URL: "https://sts", Err: x509.UnknownAuthorityError{}}, "TLS"},
		{fmt.Errorf("operation error STS: %w", context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("operation error STS: %w", context.Canceled), "cancelled (SIGTERM)"},
		{errors.New("unexpected EOF"), "HTTP"},
	} {
		if got := networkLayer(tc.err); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestClassifyNetworkErrorIsTransient(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://probe:s3cret@proxy.internal:3128")
	t.Setenv("NO_PROXY", "")
	err := &url.Error{Op: "Post", URL: "https://sts.us-west-2.amazonaws.com", Err: &net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("connection refused")}}
	ce := classify(err, "https://sts.us-west-2.amazonaws.com")
	if ce.finding != finding.CodeSTSUnreachable || !ce.transient || ce.ev[finding.EvLayer] != "proxy" {
		t.Fatalf("%+v", ce)
	}
	if got := ce.ev[finding.EvProxy]; got != "HTTPS_PROXY=http://probe:xxxxx@proxy.internal:3128" {
		t.Errorf("proxy evidence %q must name the proxy without its password", got)
	}
}

// TestNetworkLayerByType: the layer comes from the error's type, whatever
// its text says.
func TestNetworkLayerByType(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&url.Error{Op: "Post", URL: "https://sts", Err: tls.AlertError(40)}, "TLS"},
		{&url.Error{Op: "Post", URL: "https://sts", Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}, "TLS"},
		{&url.Error{Op: "Post", URL: "https://sts", Err: timeoutError{}}, "timeout"},
		// Texts that used to decide it, on errors of other types.
		{errors.New("proxyconnect tcp: tls: timeout"), "HTTP"},
		{&url.Error{Op: "Post", URL: "https://sts", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("proxyconnect")}}, "HTTP"},
	} {
		if got := networkLayer(tc.err); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.err, got, tc.want)
		}
	}
}

// timeoutError is a net.Error that timed out, like the transport's
// "TLS handshake timeout".
type timeoutError struct{}

func (timeoutError) Error() string   { return "net/http: TLS handshake timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// TestClassifyCertificateFailures: a certificate that fails verification is
// tls-certificate-untrusted, not retried, whatever the kind; other TLS
// failures stay sts-unreachable.
func TestClassifyCertificateFailures(t *testing.T) {
	leaf := &x509.Certificate{DNSNames: []string{"sts.corp.example"}}
	for _, tc := range []struct {
		err     error
		problem string
	}{
		{&tls.CertificateVerificationError{UnverifiedCertificates: []*x509.Certificate{leaf}, Err: x509.UnknownAuthorityError{}}, finding.TLSUnknownAuthority},
		{x509.HostnameError{Certificate: leaf, Host: "127.0.0.1"}, finding.TLSNameMismatch},
		{x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired}, finding.TLSExpired},
		{x509.CertificateInvalidError{Cert: leaf, Reason: x509.IncompatibleUsage}, finding.TLSInvalid},
	} {
		ce := classify(&url.Error{Op: "Post", URL: "https://sts", Err: tc.err}, "https://sts.us-west-2.amazonaws.com")
		if ce.finding != finding.CodeTLSCertificateUntrusted || ce.transient || ce.ev[finding.EvTLSProblem] != tc.problem {
			t.Errorf("%v: %s transient=%v problem %q, want %s", tc.err, ce.finding, ce.transient, ce.ev[finding.EvTLSProblem], tc.problem)
		}
	}
	if ce := classify(&url.Error{Op: "Post", URL: "https://sts", Err: tls.AlertError(40)}, "https://sts"); ce.finding != finding.CodeSTSUnreachable || !ce.transient {
		t.Errorf("a TLS alert: %s transient=%v", ce.finding, ce.transient)
	}
}
