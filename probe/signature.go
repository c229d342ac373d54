package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxOIDCDocument caps discovery and JWKS bodies: real ones are a few KiB.
const maxOIDCDocument = 1 << 20

// oidcFetchTimeout bounds each issuer request; the issuer is optional evidence
// and must not eat the STS calls' share of IRSA_PROBE_TIMEOUT.
const oidcFetchTimeout = 5 * time.Second

// signatureAlgs are the algorithms kube-apiserver can sign service-account tokens with.
var signatureAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512, jose.PS256}

// SignatureResult is what the local signature check found.
type SignatureResult struct {
	Verified  bool
	JWKSURI   string
	KeyIDs    []string // kids the issuer publishes
	Reachable bool
	// UnknownKeyID: the issuer answered, but not with the token's kid.
	UnknownKeyID bool
	Err          error
}

// VerifyTokenSignature does what STS does with the token: fetch the issuer's
// discovery document and JWKS and check the signature and kid.
func VerifyTokenSignature(ctx context.Context, hc httpDoer, issuer string, raw []byte) SignatureResult {
	var res SignatureResult
	var disco struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	discoURL := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	if err := getJSON(ctx, hc, discoURL, &disco); err != nil {
		res.Err = fmt.Errorf("fetching %s: %w", discoURL, err)
		return res
	}
	res.JWKSURI = disco.JWKSURI
	if disco.Issuer != issuer {
		res.Reachable = true
		res.Err = fmt.Errorf("the discovery document at %s names issuer %q, the token %q", discoURL, disco.Issuer, issuer)
		return res
	}
	var keys jose.JSONWebKeySet
	if err := getJSON(ctx, hc, disco.JWKSURI, &keys); err != nil {
		res.Err = fmt.Errorf("fetching %s: %w", disco.JWKSURI, err)
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

func getJSON(ctx context.Context, hc httpDoer, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, oidcFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxOIDCDocument+1))
	if err != nil {
		return err
	}
	if len(b) > maxOIDCDocument {
		return errors.New("document larger than 1 MiB")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

// checkSignature is the optional local signature step (IRSA_PROBE_VERIFY_SIGNATURE).
func (r *run) checkSignature(ctx context.Context) {
	mode := r.cfg.VerifySignature
	if mode == "never" {
		r.rep.step(StepSignature, StatusSkip, "disabled by IRSA_PROBE_VERIFY_SIGNATURE=never")
		return
	}
	res := VerifyTokenSignature(ctx, r.http, r.token.Issuer, r.rawToken)
	r.sig = res
	switch {
	case res.Verified:
		r.rep.step(StepSignature, StatusPass, "verified with the issuer's JWKS "+res.JWKSURI)
	case !res.Reachable && mode == "auto":
		// Private clusters often cannot reach their own public issuer URL;
		// STS fetches it from the internet, so this is no verdict.
		r.rep.step(StepSignature, StatusWarn, "not checked: issuer not reachable from the pod: "+res.Err.Error())
	case !res.Reachable:
		r.sigNote = "issuer not reachable: " + res.Err.Error()
		r.add(CodeOIDCKeysUnreachable, Evidence{EvDetail: res.Err.Error()})
		r.rep.step(StepSignature, StatusFail, r.sigNote)
	default:
		r.sigNote = res.Err.Error()
		r.rep.step(StepSignature, StatusFail, r.sigNote)
	}
}
