package ststest

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
)

// TLSFront is an HTTPS front for one of the emulators (STS, the agent):
// what a TLS-intercepting proxy, or an endpoint behind a corporate CA,
// looks like to a pod. It serves a certificate for 127.0.0.1 from a CA of
// its own, which nothing trusts until told (CAFile), and passes requests
// on to the emulator.
type TLSFront struct {
	// URL is https://127.0.0.1:PORT, plus the path of the target URL.
	URL string
	// CAName is the common name of the front's CA.
	CAName string

	srv   *httptest.Server
	chain *issuerTLS
}

// TLSFrontOptions make the front's certificate wrong in another way than
// its unknown CA.
type TLSFrontOptions struct {
	// Names: the certificate is for these DNS names, not 127.0.0.1.
	Names []string
	// Expired: the certificate's validity ended an hour ago.
	Expired bool
}

// NewTLSFront starts a front for target (an emulator's URL; its path is
// kept in URL). It panics if it cannot listen or make its certificates.
func NewTLSFront(target string, o TLSFrontOptions) *TLSFront {
	u, err := url.Parse(target)
	if err != nil {
		panic(fmt.Sprintf("ststest: NewTLSFront: %v", err))
	}
	f := &TLSFront{CAName: "ststest intercepting proxy CA " + randomString(upperAlnum, 6)}
	if f.chain, err = newTLSChain(f.CAName, chainOptions(o)); err != nil {
		panic(fmt.Sprintf("ststest: NewTLSFront: %v", err))
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	rp.ErrorLog = log.New(io.Discard, "", 0)
	f.srv = httptest.NewUnstartedServer(rp)
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{f.chain.cert}}
	// Refused handshakes are the point of the front: no log line each.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.StartTLS()
	f.URL = f.srv.URL + u.Path
	return f
}

// Close stops the front.
func (f *TLSFront) Close() { f.srv.Close() }

// WriteCAFile writes the front's CA (PEM) to path: what AWS_CA_BUNDLE
// names to trust the front.
func (f *TLSFront) WriteCAFile(path string) error {
	if err := os.WriteFile(path, certPEM(f.chain.ca), 0o644); err != nil {
		return fmt.Errorf("write TLS front CA: %w", err)
	}
	return nil
}
