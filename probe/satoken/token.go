package satoken

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Token is what the probe learned from the projected service-account token.
// It never holds the token itself, so it is safe to log and print.
type Token struct {
	Issuer    string    `json:"iss,omitempty"`
	Subject   string    `json:"sub,omitempty"`
	Audience  []string  `json:"aud,omitempty"`
	Expiry    time.Time `json:"exp,omitempty"`
	IssuedAt  time.Time `json:"iat,omitempty"`
	NotBefore time.Time `json:"nbf,omitempty"`
	KeyID     string    `json:"kid,omitempty"`
	Algorithm string    `json:"alg,omitempty"`

	// From the kubernetes.io claim of a projected token.
	Namespace      string `json:"namespace,omitempty"`
	ServiceAccount string `json:"serviceAccount,omitempty"`
	Pod            string `json:"pod,omitempty"`

	// Legacy is a Secret-based token: iss kubernetes/serviceaccount, no aud, no exp.
	Legacy bool `json:"legacy,omitempty"`
}

// Error says which part of the token is broken, never its content.
type Error struct {
	Part string // structure, header, payload, claims
	Err  error
}

func (e *Error) Error() string { return e.Part + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// jwtHeader is the part of a JOSE header the probe reports.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// audience accepts the string or array forms RFC 7519 allows.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

type jwtClaims struct {
	Iss  string          `json:"iss"`
	Sub  string          `json:"sub"`
	Aud  audience        `json:"aud"`
	Exp  *json.Number    `json:"exp"`
	Iat  *json.Number    `json:"iat"`
	Nbf  *json.Number    `json:"nbf"`
	K8s  *k8sClaim       `json:"kubernetes.io"`
	Flat json.RawMessage `json:"kubernetes.io/serviceaccount/namespace"`
}

type k8sClaim struct {
	Namespace      string `json:"namespace"`
	Pod            *named `json:"pod"`
	ServiceAccount *named `json:"serviceaccount"`
}

type named struct {
	Name string `json:"name"`
}

// Parse decodes a compact JWT without verifying its signature: STS
// verifies it (and package oidc can, against the issuer's JWKS).
func Parse(raw []byte) (*Token, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" {
		return nil, &Error{Part: "structure", Err: errors.New("the file is empty")}
	}
	if jwt, rest, ok := strings.Cut(s, "\n"); ok && strings.Count(strings.TrimSpace(jwt), ".") == 2 {
		// kubelet writes the token alone; anything after it was appended
		// by another writer (a log line, a second token): say so, not
		// "malformed", and never echo it (it may be a secret).
		return nil, &Error{Part: "structure", Err: fmt.Errorf("the file holds a JWT followed by %d more bytes on %d more line(s): something appended to the token file", len(rest), strings.Count(rest, "\n")+1)}
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, &Error{Part: "structure", Err: fmt.Errorf("expected 3 dot-separated parts (header.payload.signature), found %d", len(parts))}
	}
	var h jwtHeader
	if err := decodeSegment(parts[0], &h); err != nil {
		return nil, &Error{Part: "header", Err: err}
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil || parts[2] == "" {
		return nil, &Error{Part: "signature", Err: errors.New("not base64url")}
	}
	c, err := decodeClaims(parts[1])
	if err != nil {
		return nil, err
	}
	t := &Token{Issuer: c.Iss, Subject: c.Sub, Audience: c.Aud, KeyID: h.Kid, Algorithm: h.Alg}
	for _, f := range []struct {
		name string
		n    *json.Number
		dst  *time.Time
	}{{"exp", c.Exp, &t.Expiry}, {"iat", c.Iat, &t.IssuedAt}, {"nbf", c.Nbf, &t.NotBefore}} {
		if f.n == nil {
			continue
		}
		v, err := f.n.Float64()
		switch {
		case errors.Is(err, strconv.ErrRange), math.IsInf(v, 0), math.IsNaN(v):
			return nil, &Error{Part: "claims", Err: fmt.Errorf("claim %q is %s: not a finite NumericDate", f.name, f.n.String()[:min(len(f.n.String()), 32)])}
		case err != nil:
			return nil, &Error{Part: "claims", Err: fmt.Errorf("claim %q is not a number", f.name)}
		case v >= maxNumericDate || v <= -maxNumericDate:
			return nil, &Error{Part: "claims", Err: fmt.Errorf("claim %q is %s: out of range for a NumericDate (seconds since 1970)", f.name, f.n.String()[:min(len(f.n.String()), 32)])}
		}
		*f.dst = unixTime(v)
	}
	if c.K8s != nil {
		t.Namespace = c.K8s.Namespace
		if c.K8s.Pod != nil {
			t.Pod = c.K8s.Pod.Name
		}
		if c.K8s.ServiceAccount != nil {
			t.ServiceAccount = c.K8s.ServiceAccount.Name
		}
	}
	t.Legacy = c.Iss == "kubernetes/serviceaccount" || len(c.Flat) > 0 || (c.Exp == nil && len(c.Aud) == 0)
	if t.Namespace == "" || t.ServiceAccount == "" {
		// Legacy tokens and hand-made ones: fall back to sub.
		if ns, sa, ok := ParseSubject(c.Sub); ok {
			t.Namespace, t.ServiceAccount = ns, sa
		}
	}
	return t, nil
}

// decodeClaims decodes the payload: a JSON object (else a payload error)
// whose claims have the types RFC 7519 gives them (else a claims error
// naming the claim, its type and the type wanted).
func decodeClaims(seg string) (*jwtClaims, error) {
	b, err := decodeBase64(seg)
	if err != nil {
		return nil, &Error{Part: "payload", Err: err}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, &Error{Part: "payload", Err: errors.New("not a JSON object")}
	}
	if err := checkClaimTypes(obj, claimTypes, ""); err != nil {
		return nil, &Error{Part: "claims", Err: err}
	}
	var c jwtClaims
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, &Error{Part: "claims", Err: err} // not reached: the types were checked
	}
	return &c, nil
}

func decodeBase64(seg string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		// Some producers pad; accept that, but nothing else.
		if b, err = base64.URLEncoding.DecodeString(seg); err != nil {
			return nil, errors.New("not base64url")
		}
	}
	return b, nil
}

func decodeSegment(seg string, v any) error {
	b, err := decodeBase64(seg)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("claim %q has the wrong type (%s)", te.Field, te.Value)
		}
		return errors.New("not a JSON object")
	}
	return nil
}

// Bounds of the times a token's claims can name here: before 1970 is no
// token's, and past year 9999 a time.Time has no text (JSON, RFC 3339), so
// claims beyond are clamped, not wrapped or refused: a token that claims
// to expire in the year 300000 is reported as expiring at the end of 9999.
var (
	minClaimTime = time.Unix(0, 0).UTC()
	maxClaimTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// maxNumericDate bounds a NumericDate's magnitude: 2^63 seconds, past
// which no clock's seconds count reaches (int64, as Go's time and the API
// server's token expiry are). Beyond is malformed, never clamped.
const maxNumericDate = 1 << 63

// unixTime is the time of a NumericDate claim, clamped to what can be shown.
func unixTime(v float64) time.Time {
	switch {
	case v <= float64(minClaimTime.Unix()):
		return minClaimTime
	case v >= float64(maxClaimTime.Unix()):
		return maxClaimTime
	}
	return time.Unix(int64(v), 0).UTC()
}
