package check

import (
	"net"
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Per-layer deadlines: a black-holed endpoint must fail in seconds, leaving
// IRSA_PROBE_TIMEOUT for retries rather than one hung connection.
const (
	dialTimeout           = 3 * time.Second
	tlsHandshakeTimeout   = 5 * time.Second
	responseHeaderTimeout = 10 * time.Second
	requestTimeout        = 15 * time.Second
)

// newHTTPClient is the one client for STS, IMDS and the issuer. It is the
// SDK's buildable client so AWS_CA_BUNDLE keeps working, and it honours
// HTTPS_PROXY/NO_PROXY like the SDK's default does.
func newHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithTimeout(requestTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = dialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = tlsHandshakeTimeout
			t.ResponseHeaderTimeout = responseHeaderTimeout
			t.MaxIdleConns = 4
		})
}
