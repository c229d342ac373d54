package ststest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// issuerTLS is the certificate chain an Issuer serves: a leaf for 127.0.0.1
// signed by a CA of its own. A real EKS issuer serves a leaf under an
// intermediate CA too, and IAM's thumbprint is that of the top certificate
// the server sends, not of the leaf, so the difference matters to anyone
// checking thumbprints. Each Issuer gets its own CA, so trusting one issuer
// does not trust another (httptest's built-in certificate is shared),
// unless the process asked for one CA for all (ShareIssuerCA).
type issuerTLS struct {
	ca   *x509.Certificate
	cert tls.Certificate // leaf then CA, as sent in the handshake
}

func newIssuerTLS() (*issuerTLS, error) {
	processCA.Lock()
	ca := processCA.ca
	processCA.Unlock()
	if ca != nil {
		return newLeaf(ca, chainOptions{})
	}
	return newTLSChain("ststest issuer CA "+randomString(upperAlnum, 6), chainOptions{})
}

// processCA is the CA ShareIssuerCA made: while set, every new Issuer's
// leaf is signed by it.
var processCA struct {
	sync.Mutex
	ca *caKeyPair
}

type caKeyPair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// ShareIssuerCA makes every Issuer started afterwards in this process sign
// its leaf with one CA, made at the first call, and returns that CA's PEM
// (what each Stack's CAFile then holds). A process that runs the probe in
// itself needs it: crypto/x509 reads the system roots (SSL_CERT_FILE) once
// per process, so only a CA every stack shares is trusted in every run as
// it is in a fresh process. Issuers no longer differ by CA then (nor by
// Thumbprint), only by URL and signing key; TLS fronts keep CAs of their
// own.
func ShareIssuerCA() []byte {
	processCA.Lock()
	defer processCA.Unlock()
	if processCA.ca == nil {
		ca, err := newCA("ststest shared issuer CA " + randomString(upperAlnum, 6))
		if err != nil {
			panic(fmt.Sprintf("ststest: ShareIssuerCA: %v", err))
		}
		processCA.ca = ca
	}
	return certPEM(processCA.ca.cert)
}

// chainOptions make a chain's leaf wrong in one way.
type chainOptions struct {
	// Names replaces the leaf's names (127.0.0.1, ::1, localhost) with
	// these DNS names: a certificate for another host.
	Names []string
	// Expired makes the leaf's validity end an hour ago.
	Expired bool
}

// newTLSChain makes a CA named caName and a leaf it signs.
func newTLSChain(caName string, o chainOptions) (*issuerTLS, error) {
	ca, err := newCA(caName)
	if err != nil {
		return nil, err
	}
	return newLeaf(ca, o)
}

// newCA makes a self-signed CA named caName.
func newCA(caName string) (*caKeyPair, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{Organization: []string{"ststest"}, CommonName: caName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &caKeyPair{cert: ca, key: caKey}, nil
}

// newLeaf makes a leaf for 127.0.0.1 (or o's names) signed by ca.
func newLeaf(ca *caKeyPair, o chainOptions) (*issuerTLS, error) {
	now := time.Now()
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate leaf key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{Organization: []string{"ststest"}, CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	if o.Names != nil {
		leafTmpl.Subject.CommonName, leafTmpl.IPAddresses, leafTmpl.DNSNames = o.Names[0], nil, o.Names
	}
	if o.Expired {
		leafTmpl.NotBefore, leafTmpl.NotAfter = now.Add(-48*time.Hour), now.Add(-time.Hour)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca.cert, &leafKey.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("create leaf certificate: %w", err)
	}
	return &issuerTLS{
		ca:   ca.cert,
		cert: tls.Certificate{Certificate: [][]byte{leafDER, ca.cert.Raw}, PrivateKey: leafKey},
	}, nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(fmt.Sprintf("ststest: crypto/rand: %v", err))
	}
	return n
}

// Thumbprint is what IAM stores for an OIDC provider: the SHA-1 of a
// certificate's DER, as 40 lower-case hex digits.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return hex.EncodeToString(sum[:])
}

func certPEM(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}
