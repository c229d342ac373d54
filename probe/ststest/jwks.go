package ststest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/go-jose/go-jose/v4"
)

// errThumbprintMismatch is returned from the TLS handshake when the issuer's
// certificate does not match the provider's thumbprints.
var errThumbprintMismatch = errors.New("certificate does not match any configured thumbprint")

// providerKeys returns the provider's signing keys: its static JWKS, or what
// its issuer publishes now. STS fetches on every call, without the cache AWS
// keeps, so that tests see a rotated or unreachable issuer at once.
func (s *STS) providerKeys(ctx context.Context, p OIDCProvider) (*jose.JSONWebKeySet, *apiError) {
	s.mu.Lock()
	code, timeout, pool := s.keyErrCode, s.idpTimeout, s.trust
	s.mu.Unlock()

	if p.JWKS != nil {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(p.JWKS, &set); err != nil {
			return nil, errKeyRetrieval(code)
		}
		return &set, nil
	}

	var mismatch atomic.Bool
	tlsConf := &tls.Config{RootCAs: pool}
	if len(p.Thumbprints) > 0 {
		// Thumbprint pinning replaces CA validation, as it did in IAM.
		// IAM's thumbprint is that of the top certificate the server sends.
		tlsConf = &tls.Config{
			InsecureSkipVerify: true, //nolint:gosec // the thumbprint is checked below instead
			VerifyConnection: func(cs tls.ConnectionState) error {
				if n := len(cs.PeerCertificates); n > 0 && thumbprintIn(p.Thumbprints, Thumbprint(cs.PeerCertificates[n-1])) {
					return nil
				}
				mismatch.Store(true)
				return errThumbprintMismatch
			},
		}
	}
	client := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig:   tlsConf,
			DisableKeepAlives: true, // one-off fetches: leave no idle connections behind
		},
	}
	set, err := fetchJWKS(ctx, client, p.URL)
	if err != nil {
		if mismatch.Load() {
			return nil, errThumbprint()
		}
		return nil, errKeyRetrieval(code)
	}
	return set, nil
}

func thumbprintIn(list []string, tp string) bool {
	for _, t := range list {
		if strings.EqualFold(strings.ReplaceAll(t, ":", ""), tp) {
			return true
		}
	}
	return false
}

// fetchJWKS does what STS does with an issuer: GET the discovery document,
// then the jwks_uri it names, both over HTTPS.
func fetchJWKS(ctx context.Context, client *http.Client, issuerURL string) (*jose.JSONWebKeySet, error) {
	var doc discoveryDocument
	if err := getJSON(ctx, client, strings.TrimSuffix(issuerURL, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	if !strings.HasPrefix(doc.JWKSURI, "https://") {
		return nil, fmt.Errorf("jwks_uri %q is not https", doc.JWKSURI)
	}
	var set jose.JSONWebKeySet
	if err := getJSON(ctx, client, doc.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return &set, nil
}

func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("new request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %w", url, err)
	}
	return nil
}
