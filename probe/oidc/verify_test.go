package oidc

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// issuerFiles answers for the real EKS issuer with the documents its
// kube-apiserver served (testdata/k8s-tokens), as STS would see them.
type issuerFiles struct {
	t    *testing.T
	down bool
}

func (f issuerFiles) Do(req *http.Request) (*http.Response, error) {
	if f.down {
		return nil, &os.PathError{Op: "dial", Path: req.URL.Host, Err: os.ErrDeadlineExceeded}
	}
	files := map[string]string{
		"/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5/.well-known/openid-configuration": "openid-configuration.json",
		"/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5/keys":                             "jwks.json",
	}
	name, ok := files[req.URL.Path]
	if req.URL.Host != "oidc.eks.us-west-2.amazonaws.com" || !ok {
		return &http.Response{StatusCode: http.StatusNotFound, Body: io.NopCloser(strings.NewReader(""))}, nil
	}
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(ststest.RealFile(name)))}, nil
}

// TestVerifyRealTokenSignatures: the real tokens verify against the real
// JWKS; a tampered one, or an issuer that is down, does not.
func TestVerifyRealTokenSignatures(t *testing.T) {
	for _, name := range []string{"valid-irsa.jwt", "wrong-audience.jwt", "pod-identity.jwt", "multi-audience.jwt", "other-serviceaccount-unbound.jwt", "expires-10m.jwt"} {
		res := Verify(context.Background(), issuerFiles{t: t}, ststest.RealEKSIssuerURL, ststest.RealFile(name))
		if !res.Verified || !res.Reachable || res.Err != nil {
			t.Errorf("%s: %+v", name, res)
		}
	}

	tok := ststest.RealFile("valid-irsa.jwt")
	parts := bytes.Split(bytes.TrimSpace(tok), []byte("."))
	other := bytes.Split(bytes.TrimSpace(ststest.RealFile("pod-identity.jwt")), []byte("."))
	tampered := bytes.Join([][]byte{parts[0], other[1], parts[2]}, []byte("."))
	res := Verify(context.Background(), issuerFiles{t: t}, ststest.RealEKSIssuerURL, tampered)
	if res.Verified || !res.Reachable || res.UnknownKeyID || res.Err == nil || !strings.Contains(res.Err.Error(), "does not verify") {
		t.Errorf("tampered token: %+v", res)
	}

	res = Verify(context.Background(), issuerFiles{t: t, down: true}, ststest.RealEKSIssuerURL, tok)
	if res.Verified || res.Reachable || res.Err == nil {
		t.Errorf("issuer down: %+v", res)
	}
	if strings.Contains(res.Err.Error(), string(parts[2])) {
		t.Error("the error carries the token")
	}
}

// bigJWKS answers the real discovery document, then a JWKS padded past
// the cap, with or without a Content-Length.
type bigJWKS struct {
	issuerFiles
	length bool
}

func (b bigJWKS) Do(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/keys") {
		return b.issuerFiles.Do(req)
	}
	body := append(ststest.RealFile("jwks.json"), bytes.Repeat([]byte(" "), 2<<20)...)
	resp := &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: -1}
	if b.length {
		resp.ContentLength = int64(len(body))
	}
	return resp, nil
}

// TestJWKSOverTheCap: a JWKS over the cap is refused, saying the cap and
// the size seen; the issuer answered, so it is a discovery problem, not an
// unreachable one.
func TestJWKSOverTheCap(t *testing.T) {
	tok := ststest.RealFile("valid-irsa.jwt")
	for _, tc := range []struct {
		length bool
		seen   string
	}{{true, "(Content-Length 2097"}, {false, "(more than 1048576 bytes arrived)"}} {
		res := Verify(context.Background(), bigJWKS{issuerFiles{t: t}, tc.length}, ststest.RealEKSIssuerURL, tok)
		if res.Verified || !res.Reachable || !strings.Contains(res.Discovery, "is larger than the 1 MiB cap "+tc.seen) {
			t.Errorf("Content-Length %v: %+v", tc.length, res)
		}
	}
}
