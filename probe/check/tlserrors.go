package check

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// A certificate that fails verification does not heal by retrying: it is
// named at the first attempt, with the chain the endpoint presented (a
// TLS-intercepting proxy shows itself there), the proxy the request took
// and AWS_CA_BUNDLE (added by the run: package config has read and unset it).

// maxChainShown bounds how many certificates of a presented chain the
// evidence lists: real chains are 2 to 4.
const maxChainShown = 5

// certFailure is the evidence of a certificate verification failure in
// err, of a request to target; ok is false when err is no such failure.
func certFailure(err error, target string) (ev finding.Evidence, ok bool) {
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var chain []*x509.Certificate
	if errors.As(err, &verr) {
		chain = verr.UnverifiedCertificates
	}
	ev = finding.Evidence{finding.EvTLSEndpoint: target}
	switch {
	case errors.As(err, &unknown):
		ev[finding.EvTLSProblem] = finding.TLSUnknownAuthority
		ev[finding.EvDetail] = "no CA this pod trusts signed it"
		if unknown.Cert != nil {
			ev[finding.EvDetail] = fmt.Sprintf("no CA this pod trusts signed it (its issuer is %q)", unknown.Cert.Issuer.String())
		}
	case errors.As(err, &host):
		ev[finding.EvTLSProblem] = finding.TLSNameMismatch
		ev[finding.EvDetail] = fmt.Sprintf("it is not for %q (%s)", host.Host, certNames(host.Certificate))
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		ev[finding.EvTLSProblem] = finding.TLSExpired
		ev[finding.EvDetail] = invalid.Error()
		ev[finding.EvNow] = fmtTime(time.Now())
	case errors.As(err, &invalid):
		ev[finding.EvTLSProblem] = finding.TLSInvalid
		ev[finding.EvDetail] = invalid.Error()
	case verr != nil:
		ev[finding.EvTLSProblem] = finding.TLSInvalid
		ev[finding.EvDetail] = verr.Err.Error()
	default:
		return nil, false
	}
	if len(chain) > 0 {
		ev[finding.EvTLSChain] = describeChain(chain)
	}
	if p := requestProxy(target); p != "" {
		ev[finding.EvProxy] = p
	}
	return ev, true
}

// certNames lists the names a certificate is for.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "no certificate"
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return fmt.Sprintf("it names no host; its subject is %q", c.Subject.String())
	}
	return "it is for " + strings.Join(names, ", ")
}

// describeChain is each presented certificate's subject, issuer and
// validity, leaf first.
func describeChain(chain []*x509.Certificate) string {
	var parts []string
	for i, c := range chain[:min(len(chain), maxChainShown)] {
		parts = append(parts, fmt.Sprintf("[%d] subject %q, issuer %q, valid %s to %s", i, c.Subject.String(), c.Issuer.String(),
			fmtTime(c.NotBefore), fmtTime(c.NotAfter)))
	}
	if len(chain) > maxChainShown {
		parts = append(parts, fmt.Sprintf("and %d more", len(chain)-maxChainShown))
	}
	return strings.Join(parts, "; ")
}

// requestProxy is the proxy a request to target takes, as the SDKs'
// default transport chooses it (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), named
// by the variable that set it, password dropped; "" when none is set.
func requestProxy(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	set := proxyInEffect()
	if set == "" {
		return ""
	}
	p, err := http.ProxyFromEnvironment(&http.Request{URL: u})
	if err != nil || p == nil {
		return "none for " + u.Host + " (" + set + ")"
	}
	return redactURL(p.String()) + " for " + u.Host + " (" + set + ")"
}
