package ststest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Issuer is an OIDC identity provider like an EKS cluster's: an HTTPS server
// whose issuer URL is https://127.0.0.1:PORT/id/<32 upper-hex characters>
// (EKS's is https://oidc.eks.REGION.amazonaws.com/id/<32 upper-hex>), serving
// the discovery document and JWKS at the same paths EKS does, and minting
// tokens signed with its current key.
type Issuer struct {
	// URL is the issuer URL: the iss of the tokens it mints.
	URL string

	srv  *httptest.Server
	tls  *issuerTLS
	path string // "/id/XXXX", the URL's path

	mu          sync.Mutex
	key         *rsa.PrivateKey
	kid         string
	unreachable bool
	delay       time.Duration
	drip        time.Duration
	jwksPad     int
	// discoIssuer and discoJWKSURI override the discovery document (SetDiscovery).
	discoIssuer, discoJWKSURI string
}

// NewIssuer starts an Issuer on 127.0.0.1. It panics if it cannot listen or
// generate keys, like httptest.NewServer.
func NewIssuer() *Issuer {
	t, err := newIssuerTLS()
	if err != nil {
		panic(fmt.Sprintf("ststest: NewIssuer: %v", err))
	}
	iss := &Issuer{tls: t, path: "/id/" + randomString("0123456789ABCDEF", 32)}
	if err := iss.RotateKey(); err != nil {
		panic(fmt.Sprintf("ststest: NewIssuer: %v", err))
	}
	iss.srv = httptest.NewUnstartedServer(http.HandlerFunc(iss.serveHTTP))
	iss.srv.TLS = &tls.Config{Certificates: []tls.Certificate{t.cert}}
	// Clients that do not trust the issuer are part of the scenarios; their
	// failed handshakes are not worth a log line each.
	iss.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	iss.srv.StartTLS()
	iss.URL = iss.srv.URL + iss.path
	return iss
}

// Close shuts the issuer down; afterwards STS cannot fetch its keys, the
// "cluster deleted" case.
func (iss *Issuer) Close() { iss.srv.Close() }

// CertPEM is the PEM of the CA that signed the issuer's TLS certificate: what
// a client must trust to fetch the discovery document.
func (iss *Issuer) CertPEM() []byte { return certPEM(iss.tls.ca) }

// WriteCAFile writes CertPEM to path, for a subprocess to trust the issuer
// through SSL_CERT_FILE.
func (iss *Issuer) WriteCAFile(path string) error {
	if err := os.WriteFile(path, iss.CertPEM(), 0o644); err != nil {
		return fmt.Errorf("write issuer CA: %w", err)
	}
	return nil
}

// CertPool is a pool holding the issuer's CA.
func (iss *Issuer) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(iss.tls.ca)
	return pool
}

// Client is an HTTP client that trusts the issuer.
func (iss *Issuer) Client() *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: iss.CertPool()}},
	}
}

// Thumbprint is the thumbprint IAM would store for this issuer: the SHA-1 of
// the top certificate of the chain it serves (its CA).
func (iss *Issuer) Thumbprint() string { return Thumbprint(iss.tls.ca) }

// LeafThumbprint is the SHA-1 of the issuer's own (leaf) certificate: the
// classic wrong thumbprint, which IAM rejects.
func (iss *Issuer) LeafThumbprint() string {
	leaf, err := x509.ParseCertificate(iss.tls.cert.Certificate[0])
	if err != nil {
		panic("ststest: parse own leaf certificate: " + err.Error())
	}
	return Thumbprint(leaf)
}

// HostPath is the issuer URL without "https://": how IAM names the OIDC
// provider and prefixes its condition keys.
func (iss *Issuer) HostPath() string { return IssuerHostPath(iss.URL) }

// RotateKey replaces the signing key. Tokens signed with the old key no
// longer verify, since the JWKS publishes only the new one: the
// "rotated-key cluster" case.
func (iss *Issuer) RotateKey() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	kid, err := keyID(&key.PublicKey)
	if err != nil {
		return err
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.key, iss.kid = key, kid
	return nil
}

// UseKey makes key the signing key and the one the JWKS publishes: a
// real cluster's, whose kube-apiserver signs the projected tokens with it
// (--service-account-signing-key-file), so those tokens verify against
// this issuer as an EKS cluster's do against its OIDC endpoint.
func (iss *Issuer) UseKey(key *rsa.PrivateKey) error {
	kid, err := keyID(&key.PublicKey)
	if err != nil {
		return err
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.key, iss.kid = key, kid
	return nil
}

// KeyID is the kid of the current signing key.
func (iss *Issuer) KeyID() string {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return iss.kid
}

// SetUnreachable makes the issuer drop every connection without answering
// (true) or serve again (false): "keys unreachable", as behind a firewall.
func (iss *Issuer) SetUnreachable(unreachable bool) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.unreachable = unreachable
}

// SetDelay makes the issuer wait d before answering, to model a slow
// provider (STS gives up on slow providers).
func (iss *Issuer) SetDelay(d time.Duration) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.delay = d
}

// SetDrip makes the issuer send each answer's status line and headers at
// once, then its body one byte every d (StallBody: never the second byte;
// 0: at once).
func (iss *Issuer) SetDrip(d time.Duration) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.drip = d
}

// SetJWKSPadding makes the issuer's JWKS answer n bytes longer, with
// whitespace after the key set (still valid JSON): a JWKS over a size cap.
func (iss *Issuer) SetJWKSPadding(n int) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.jwksPad = n
}

// JWKS is the key set the issuer publishes.
func (iss *Issuer) JWKS() []byte {
	iss.mu.Lock()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &iss.key.PublicKey, KeyID: iss.kid, Use: "sig", Algorithm: string(jose.RS256),
	}}}
	iss.mu.Unlock()
	b, err := json.Marshal(set)
	if err != nil {
		panic("ststest: marshal JWKS: " + err.Error())
	}
	return b
}

// discoveryDocument is the OpenID configuration EKS (and kube-apiserver)
// serves, field for field.
type discoveryDocument struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
}

// SetDiscovery makes the discovery document name issuer and jwksURI
// instead of its own ("" keeps each): a self-managed issuer published
// wrong (kops, kind, k3s with an S3-hosted issuer).
func (iss *Issuer) SetDiscovery(issuer, jwksURI string) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.discoIssuer, iss.discoJWKSURI = issuer, jwksURI
}

// DiscoveryDocument is the issuer's /.well-known/openid-configuration.
func (iss *Issuer) DiscoveryDocument() []byte {
	iss.mu.Lock()
	issuer, jwksURI := iss.discoIssuer, iss.discoJWKSURI
	iss.mu.Unlock()
	if issuer == "" {
		issuer = iss.URL
	}
	if jwksURI == "" {
		jwksURI = iss.URL + "/keys"
	}
	b, err := json.Marshal(discoveryDocument{
		Issuer:                           issuer,
		JWKSURI:                          jwksURI,
		ResponseTypesSupported:           []string{"id_token"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{string(jose.RS256)},
	})
	if err != nil {
		panic("ststest: marshal discovery document: " + err.Error())
	}
	return b
}

func (iss *Issuer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	iss.mu.Lock()
	unreachable, delay, drip := iss.unreachable, iss.delay, iss.drip
	iss.mu.Unlock()
	if unreachable {
		// Closes the connection without a response, like a dropped packet
		// flow; net/http does not log this sentinel.
		panic(http.ErrAbortHandler)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if drip > 0 {
		dripping(w, r, drip, func(w http.ResponseWriter) { iss.answer(w, r) })
		return
	}
	iss.answer(w, r)
}

// answer is the issuer's answer to r.
func (iss *Issuer) answer(w http.ResponseWriter, r *http.Request) {
	var body []byte
	switch r.URL.Path {
	case iss.path + "/.well-known/openid-configuration":
		body = iss.DiscoveryDocument()
	case iss.path + "/keys":
		body = iss.JWKS()
		iss.mu.Lock()
		body = append(body, bytes.Repeat([]byte(" "), iss.jwksPad)...)
		iss.mu.Unlock()
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// keyID computes a kid the way kube-apiserver does: the unpadded base64url
// SHA-256 of the public key's PKIX DER.
func keyID(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// IssuerHostPath is an issuer URL without its scheme and trailing slash: the
// name IAM gives the OIDC provider and the prefix of its condition keys.
func IssuerHostPath(issuerURL string) string {
	s := strings.TrimPrefix(issuerURL, "https://")
	return strings.TrimSuffix(s, "/")
}

// OIDCProviderARN is the ARN of the IAM OIDC provider for issuerURL.
func OIDCProviderARN(partition, account, issuerURL string) string {
	if partition == "" {
		partition = "aws"
	}
	return "arn:" + partition + ":iam::" + account + ":oidc-provider/" + IssuerHostPath(issuerURL)
}
