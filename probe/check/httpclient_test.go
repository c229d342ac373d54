package check

import (
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// TestHTTPClientBuildsRootsForTLSOnly: a check over plain HTTP parses no
// certificate; the first HTTPS request builds the pool, from AWS_CA_BUNDLE
// alone as the SDK does.
func TestHTTPClientBuildsRootsForTLSOnly(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer plain.Close()
	trusted, other := ststest.NewIssuer(), ststest.NewIssuer() // each with a CA of its own
	defer trusted.Close()
	defer other.Close()

	h := newHTTPClient(trusted.CertPEM())
	tr := h.c.Transport.(*transports)
	get := func(url string) error {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		resp, err := h.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(plain.URL); err != nil {
		t.Fatal(err)
	}
	if tr.tls != nil {
		t.Fatal("a plain HTTP request built the TLS transport and its roots")
	}
	if err := get(trusted.URL + "/.well-known/openid-configuration"); err != nil {
		t.Fatalf("the server whose CA is AWS_CA_BUNDLE: %v", err)
	}
	var unknown x509.UnknownAuthorityError
	if err := get(other.URL + "/.well-known/openid-configuration"); !errors.As(err, &unknown) {
		t.Fatalf("a server whose CA is not in AWS_CA_BUNDLE: %v, want an unknown authority", err)
	}
}
