package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxDocument caps discovery and JWKS bodies: real ones are a few KiB.
const maxDocument = 1 << 20

// fetchTimeout bounds each issuer request; the issuer is optional evidence
// and must not eat the STS calls' share of IRSA_PROBE_TIMEOUT.
const fetchTimeout = 5 * time.Second

// signatureAlgs are the algorithms kube-apiserver can sign service-account tokens with.
var signatureAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512, jose.PS256}

// Doer is what the issuer fetches need from an HTTP client: *http.Client
// and the AWS SDK's clients are Doers.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Result is what the signature check found.
type Result struct {
	Verified  bool
	JWKSURI   string
	KeyIDs    []string // kids the issuer publishes
	Reachable bool
	// UnknownKeyID: the issuer answered, but not with the token's kid.
	UnknownKeyID bool
	// Discovery says what in the discovery document STS cannot use: an
	// issuer other than the token's, a jwks_uri that is not https. "" when
	// the document is usable (or was not fetched).
	Discovery string
	Err       error
}

// Verify does what STS does with the token: fetch the issuer's discovery
// document and JWKS and check the signature and kid. It never fails: what
// went wrong is in the Result.
func Verify(ctx context.Context, hc Doer, issuer string, raw []byte) Result {
	var res Result
	var disco struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	discoURL := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	if err := getJSON(ctx, hc, discoURL, &disco); err != nil {
		res.Err = fmt.Errorf("fetching %s: %w", discoURL, err)
		var big *TooLargeError
		if errors.As(err, &big) {
			res.Reachable = true
			res.Discovery = fmt.Sprintf("the discovery document at %s is %s", discoURL, big)
			res.Err = errors.New(res.Discovery)
		}
		return res
	}
	res.JWKSURI = disco.JWKSURI
	if disco.Issuer != issuer {
		res.Reachable = true
		res.Discovery = fmt.Sprintf("the discovery document at %s names issuer %q, the token %q", discoURL, disco.Issuer, issuer)
		res.Err = errors.New(res.Discovery)
		return res
	}
	if u, err := url.Parse(disco.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" {
		// STS fetches keys over https only (IAM user guide, "Create an
		// OpenID Connect (OIDC) identity provider in IAM").
		res.Reachable = true
		res.Discovery = fmt.Sprintf("the discovery document's jwks_uri %q is not an https URL", disco.JWKSURI)
		res.Err = errors.New(res.Discovery)
		return res
	}
	var keys jose.JSONWebKeySet
	if err := getJSON(ctx, hc, disco.JWKSURI, &keys); err != nil {
		res.Err = fmt.Errorf("fetching %s: %w", disco.JWKSURI, err)
		var big *TooLargeError
		if errors.As(err, &big) {
			// It answered, with what no verifier takes.
			res.Reachable = true
			res.Discovery = fmt.Sprintf("the JWKS at %s is %s", disco.JWKSURI, big)
			res.Err = errors.New(res.Discovery)
		}
		return res
	}
	res.Reachable = true
	for _, k := range keys.Keys {
		res.KeyIDs = append(res.KeyIDs, k.KeyID)
	}
	jws, err := jose.ParseSignedCompact(strings.TrimSpace(string(raw)), signatureAlgs)
	if err != nil {
		res.Err = fmt.Errorf("parsing the token's signature: %w", err)
		return res
	}
	kid := jws.Signatures[0].Header.KeyID
	matching := keys.Key(kid)
	if len(matching) == 0 {
		res.UnknownKeyID = true
		res.Err = fmt.Errorf("key id %q is not in the issuer's JWKS (published: %s): the signing key was rotated or the token is from another cluster", kid, strings.Join(res.KeyIDs, ", "))
		return res
	}
	for _, k := range matching {
		if _, err := jws.Verify(k); err == nil {
			res.Verified = true
			return res
		}
	}
	res.Err = fmt.Errorf("the signature does not verify with key id %q from the issuer's JWKS", kid)
	return res
}

func getJSON(ctx context.Context, hc Doer, target string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer (not even its status line) within %s", waited(start))
		}
		// The caller names the URL; url.Error would repeat it.
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > maxDocument {
		return &TooLargeError{Seen: fmt.Sprintf("Content-Length %d bytes", resp.ContentLength)}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if len(b) >= maxDocument && (err != nil || len(b) > maxDocument) {
		// Past the cap, whoever stopped the read (this limit or the HTTP
		// client's own cap).
		return &TooLargeError{Seen: fmt.Sprintf("more than %d bytes arrived", maxDocument)}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("the status line and headers came (HTTP %d), the body did not arrive within %s", resp.StatusCode, waited(start))
		}
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

// TooLargeError is a discovery document or JWKS over the cap.
type TooLargeError struct {
	Seen string // the size seen: a Content-Length, or how much arrived
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than the %d MiB cap (%s); real ones are a few KiB", maxDocument>>20, e.Seen)
}

// waited is how long a request has waited, as an error says it.
func waited(start time.Time) time.Duration {
	return time.Since(start).Round(100 * time.Millisecond)
}
