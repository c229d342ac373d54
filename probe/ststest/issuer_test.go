package ststest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func startIssuer(t *testing.T) *Issuer {
	t.Helper()
	iss := NewIssuer()
	t.Cleanup(iss.Close)
	return iss
}

func getDoc(t *testing.T, c *http.Client, url string) (map[string]any, *http.Response) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, b)
	}
	return m, resp
}

// shape is a JSON document's structure: its keys, recursively, and the
// types of the values, so an emulated document can be compared with a real
// one whose values differ.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range v {
			m[k] = shape(x)
		}
		return m
	case []any:
		if len(v) == 0 {
			return []any{}
		}
		return []any{shape(v[0])}
	default:
		return reflect.TypeOf(v).String()
	}
}

func testdataJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(readTestdata(t, name)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssuerURLLooksLikeEKS(t *testing.T) {
	iss := startIssuer(t)
	if !regexp.MustCompile(`^https://127\.0\.0\.1:[0-9]+/id/[0-9A-F]{32}$`).MatchString(iss.URL) {
		t.Errorf("URL = %q, want https://127.0.0.1:PORT/id/<32 upper hex>", iss.URL)
	}
	if iss.HostPath() != strings.TrimPrefix(iss.URL, "https://") {
		t.Errorf("HostPath = %q", iss.HostPath())
	}
}

func TestIssuerDocumentsMatchEKS(t *testing.T) {
	iss := startIssuer(t)
	disc, resp := getDoc(t, iss.Client(), iss.URL+"/.well-known/openid-configuration")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	realDoc := testdataJSON(t, "openid-configuration.json")
	if !reflect.DeepEqual(shape(disc), shape(realDoc)) {
		t.Errorf("discovery document shape %v, want the real one's %v", shape(disc), shape(realDoc))
	}
	if disc["issuer"] != iss.URL || disc["jwks_uri"] != iss.URL+"/keys" {
		t.Errorf("issuer/jwks_uri = %v / %v", disc["issuer"], disc["jwks_uri"])
	}
	for _, k := range []string{"response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"} {
		if !reflect.DeepEqual(disc[k], realDoc[k]) {
			t.Errorf("%s = %v, want %v", k, disc[k], realDoc[k])
		}
	}

	jwks, _ := getDoc(t, iss.Client(), disc["jwks_uri"].(string))
	realJWKS := testdataJSON(t, "jwks.json")
	if !reflect.DeepEqual(shape(jwks), shape(realJWKS)) {
		t.Errorf("JWKS shape %v, want the real one's %v", shape(jwks), shape(realJWKS))
	}
	key := jwks["keys"].([]any)[0].(map[string]any)
	if key["kid"] != iss.KeyID() || key["use"] != "sig" || key["alg"] != "RS256" || key["kty"] != "RSA" || key["e"] != "AQAB" {
		t.Errorf("key = %v", key)
	}
	if n, _ := base64.RawURLEncoding.DecodeString(key["n"].(string)); len(n) != 256 {
		t.Errorf("modulus has %d bytes, want 256 (RSA 2048)", len(n))
	}
	// The raw JSON lists the members in the order kube-apiserver does.
	if !regexp.MustCompile(`^\{"keys":\[\{"use":"sig","kty":"RSA","kid":"[^"]+","alg":"RS256","n":"[^"]+","e":"AQAB"\}\]\}$`).Match(iss.JWKS()) {
		t.Errorf("JWKS = %s", iss.JWKS())
	}
}

func TestIssuerTLS(t *testing.T) {
	iss := startIssuer(t)
	other := startIssuer(t)

	// Only the issuer's own CA makes it trusted.
	if _, err := other.Client().Get(iss.URL + "/keys"); err == nil {
		t.Error("another issuer's client trusted this issuer")
	}
	if _, err := http.Get(iss.URL + "/keys"); err == nil {
		t.Error("the default client trusted the issuer")
	}

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := iss.WriteCAFile(caFile); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(iss.URL + "/keys")
	if err != nil {
		t.Fatalf("client trusting the CA file: %v", err)
	}
	defer resp.Body.Close()
	chain := resp.TLS.PeerCertificates
	if len(chain) != 2 {
		t.Fatalf("issuer serves %d certificates, want leaf and CA", len(chain))
	}
	if Thumbprint(chain[1]) != iss.Thumbprint() || Thumbprint(chain[0]) != iss.LeafThumbprint() {
		t.Error("thumbprints do not match the served chain")
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(iss.Thumbprint()) || iss.Thumbprint() == other.Thumbprint() {
		t.Errorf("Thumbprint = %q (other issuer's %q)", iss.Thumbprint(), other.Thumbprint())
	}
}

func TestIssuerRotateKey(t *testing.T) {
	iss := startIssuer(t)
	old := iss.ServiceAccountToken(TokenOptions{})
	oldKid := iss.KeyID()
	if err := iss.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if iss.KeyID() == oldKid {
		t.Fatal("kid unchanged by RotateKey")
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Key(oldKid)) != 0 || len(set.Key(iss.KeyID())) != 1 {
		t.Errorf("JWKS after rotation: %s", iss.JWKS())
	}
	tok, err := jwt.ParseSigned(old, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := tok.Claims(set.Keys[0].Key, &claims); err == nil {
		t.Error("a token signed before the rotation verifies with the new key")
	}
}

// A token signed outside the issuer with the key it was given (as
// kube-apiserver signs) verifies against the JWKS it then publishes.
func TestIssuerUseKey(t *testing.T) {
	iss := startIssuer(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.UseKey(key); err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(map[string]any{"sub": "system:serviceaccount:payments:billing-api"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	keys := set.Key(iss.KeyID())
	if len(keys) != 1 {
		t.Fatalf("JWKS %s has no key %q", iss.JWKS(), iss.KeyID())
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.Claims(keys[0].Key, &claims); err != nil {
		t.Errorf("token signed with the given key does not verify with the published one: %v", err)
	}
}

func TestIssuerUnreachableAndSlow(t *testing.T) {
	iss := startIssuer(t)
	iss.SetUnreachable(true)
	if _, err := iss.Client().Get(iss.URL + "/keys"); err == nil {
		t.Error("unreachable issuer answered")
	}
	iss.SetUnreachable(false)
	// Far beyond the client's timeout: on a loaded machine a 50 ms timer
	// can fire after a 200 ms answer came. The handler returns when the
	// client gives up, so the margin costs nothing.
	iss.SetDelay(5 * time.Second)
	c := iss.Client()
	c.Timeout = 50 * time.Millisecond
	if _, err := c.Get(iss.URL + "/keys"); err == nil {
		t.Error("slow issuer answered within the timeout")
	}
	iss.SetDelay(0)
	if _, resp := getDoc(t, iss.Client(), iss.URL+"/keys"); resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	resp, err := iss.Client().Get(iss.URL + "/openid/v1/jwks")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("kube-apiserver's JWKS path answered %d on an EKS-style issuer, want 404", resp.StatusCode)
	}
}

// TestServiceAccountTokenLooksReal compares a minted token with the real
// valid-irsa.jwt: same header members, same claim structure.
func TestServiceAccountTokenLooksReal(t *testing.T) {
	iss := startIssuer(t)
	issued := time.Unix(1795353509, 0)
	tok := iss.ServiceAccountToken(TokenOptions{
		Namespace: "payments", ServiceAccount: "billing-api", Pod: DefaultPod, IssuedAt: issued,
	})
	header, claims := decodeJWT(t, tok)
	realHeader, realClaims := decodeJWT(t, readTestdata(t, "valid-irsa.jwt"))
	if !reflect.DeepEqual(keys(header), keys(realHeader)) || header["kid"] != iss.KeyID() || header["alg"] != "RS256" {
		t.Errorf("header %v, want the members of %v", header, realHeader)
	}
	if !reflect.DeepEqual(shape(claims), shape(realClaims)) {
		t.Errorf("claims shape\n%v\nwant the real one's\n%v", shape(claims), shape(realClaims))
	}
	for _, k := range []string{"aud", "iat", "nbf", "sub"} {
		if !reflect.DeepEqual(claims[k], realClaims[k]) {
			t.Errorf("%s = %v, want %v", k, claims[k], realClaims[k])
		}
	}
	if claims["exp"].(float64) != float64(issued.Add(24*time.Hour).Unix()) || claims["iss"] != iss.URL {
		t.Errorf("exp/iss = %v / %v", claims["exp"], claims["iss"])
	}
	k8s := claims["kubernetes.io"].(map[string]any)
	if k8s["namespace"] != "payments" || k8s["pod"].(map[string]any)["name"] != DefaultPod ||
		k8s["serviceaccount"].(map[string]any)["name"] != "billing-api" {
		t.Errorf("kubernetes.io = %v", k8s)
	}

	_, unbound := decodeJWT(t, iss.ServiceAccountToken(TokenOptions{Namespace: "payments", ServiceAccount: "default-ish"}))
	_, realUnbound := decodeJWT(t, readTestdata(t, "other-serviceaccount-unbound.jwt"))
	if !reflect.DeepEqual(shape(unbound), shape(realUnbound)) {
		t.Errorf("unbound token shape %v, want %v", shape(unbound), shape(realUnbound))
	}
}

func TestMintAnyClaims(t *testing.T) {
	iss := startIssuer(t)
	_, claims := decodeJWT(t, iss.Mint(map[string]any{"iss": "kubernetes/serviceaccount", "exp": 1}))
	if claims["iss"] != "kubernetes/serviceaccount" || claims["exp"].(float64) != 1 || len(claims) != 2 {
		t.Errorf("claims = %v", claims)
	}
}

func decodeJWT(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
