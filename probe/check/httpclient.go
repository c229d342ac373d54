package check

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Per-layer deadlines: a black-holed endpoint must fail in seconds, leaving
// IRSA_PROBE_TIMEOUT for retries rather than one hung connection.
const (
	dialTimeout           = 3 * time.Second
	tlsHandshakeTimeout   = 5 * time.Second
	responseHeaderTimeout = 10 * time.Second
	requestTimeout        = 15 * time.Second
	idleConnTimeout       = 90 * time.Second
)

// MaxResponseBody caps every response body the probe reads, from STS, IMDS
// or the issuer: their real answers are a few KiB, and the SDK buffers an
// error body whole, so an endless one would otherwise grow the process
// without bound.
const MaxResponseBody = 1 << 20

// ErrResponseTooLarge is returned by the body of a response over
// MaxResponseBody once the cap is passed.
var ErrResponseTooLarge = fmt.Errorf("response body larger than %d KiB: not an AWS answer", MaxResponseBody>>10)

// httpClient is the one HTTP client of a Checker, for STS, IMDS and the
// issuer, for the life of the process: one transport per scheme, so a
// serve process keeps a couple of idle connections per endpoint whatever
// the number of checks. It is deliberately not the SDK's BuildableClient,
// which the SDK clones (with a new transport and connection pool) whenever
// a client or a config is built from it: per check, that leaked two
// sockets and 36 KiB.
type httpClient struct {
	c *http.Client
}

// newHTTPClient honours HTTPS_PROXY/NO_PROXY like the SDK's default does,
// trusts caBundle (AWS_CA_BUNDLE's PEM) in place of the system roots, as
// the SDK does, and never follows a redirect: STS, IMDS and an OIDC
// discovery endpoint never send one, and following it would post the
// token to another host.
func newHTTPClient(caBundle []byte) *httpClient {
	return &httpClient{c: &http.Client{
		Transport: &transports{caBundle: caBundle},
		Timeout:   requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// transports builds its transports at their first request, and the one
// that speaks TLS with the trusted roots parsed then: a bundle of every
// public root takes milliseconds to parse, the most of a check's CPU, and
// a check over plain HTTP (a local endpoint, a proxy's) needs none.
type transports struct {
	caBundle []byte

	plainOnce, tlsOnce sync.Once
	plain, tls         *http.Transport
}

func (t *transports) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !viaTLSProxy(req) {
		t.plainOnce.Do(func() { t.plain = newTransport(nil) })
		return t.plain.RoundTrip(req)
	}
	t.tlsOnce.Do(func() {
		var roots *x509.CertPool // nil: the system's, loaded by crypto/tls at the first handshake
		if len(t.caBundle) > 0 {
			roots = x509.NewCertPool()
			roots.AppendCertsFromPEM(t.caBundle)
		}
		t.tls = newTransport(roots)
	})
	return t.tls.RoundTrip(req)
}

// viaTLSProxy reports whether a plain HTTP request goes through an HTTPS
// proxy, whose certificate the trusted roots must verify.
func viaTLSProxy(req *http.Request) bool {
	u, err := http.ProxyFromEnvironment(req)
	return err == nil && u != nil && u.Scheme == "https"
}

func newTransport(roots *x509.CertPool) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		MaxIdleConns:          4,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       idleConnTimeout,
		ForceAttemptHTTP2:     true,
	}
}

// Do sends req and caps the body of the response.
func (h *httpClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := h.c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: MaxResponseBody}
	return resp, nil
}

// cappedBody fails a read past its cap instead of returning more.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the cap from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
