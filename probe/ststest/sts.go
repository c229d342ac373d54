package ststest

import (
	"cmp"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// STS emulates AWS STS's query API (AssumeRoleWithWebIdentity and
// GetCallerIdentity) together with the bits of IAM they consult: OIDC
// providers and role trust policies. It is plain HTTP; point the SDK at URL
// with sts.Options.BaseEndpoint or AWS_ENDPOINT_URL_STS. All methods are safe
// for concurrent use, also while requests are being served.
type STS struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL string

	srv *httptest.Server

	mu        sync.Mutex
	now       func() time.Time
	providers map[providerKey]OIDCProvider
	roles     map[string]*role
	sessions  map[string]*session // by access key id
	faults    map[string]*faultState
	calls     map[string]int
	requests  []Request
	// noLog stops recording requests (StopRecording): a soak run's emulator
	// must not grow with every call the probe makes.
	noLog          bool
	lastRequestID  string
	regionDisabled bool
	trust          *x509.CertPool
	idpTimeout     time.Duration
	keyErrCode     string
}

// OIDCProvider is an IAM OIDC identity provider.
type OIDCProvider struct {
	Account   string
	Partition string // default "aws"
	// URL is the issuer URL; "https://" is optional, as in IAM.
	URL string
	// ClientIDs are the audiences accepted; default ["sts.amazonaws.com"].
	ClientIDs []string
	// Thumbprints, if set, pin the issuer's TLS certificate: the SHA-1 (hex)
	// of the top certificate it serves must be one of them, and the CA
	// chain is then not checked, as IAM did before it trusted well-known
	// CAs. If empty, the certificate must chain to a CA STS trusts (see
	// TrustIssuer).
	Thumbprints []string
	// JWKS, if set, is used instead of fetching the issuer's keys: for an
	// issuer that is not reachable from the test, like the real EKS one.
	JWKS []byte
}

type providerKey struct{ account, hostPath string }

// ARN is the provider's ARN, the Federated principal trust policies name.
func (p OIDCProvider) ARN() string { return OIDCProviderARN(p.Partition, p.Account, p.URL) }

// ProviderFor is the OIDC provider for iss in account, with the defaults an
// EKS cluster's gets (client id sts.amazonaws.com, no thumbprint pinning).
// STS must also trust the issuer's certificate: see STS.TrustIssuer, or use
// STS.AddIssuer, which does both.
func ProviderFor(iss *Issuer, account string) OIDCProvider {
	return OIDCProvider{Account: account, URL: iss.URL}
}

type role struct {
	arn        roleARN
	id         string // AROA...
	policy     *trustPolicy
	text       string // the policy as put, for IAM's GetRole
	maxSession time.Duration
}

// session is a set of credentials STS (or IMDS) issued, which
// GetCallerIdentity recognises.
type session struct {
	accessKeyID  string
	secret       string
	sessionToken string
	arn          string
	userID       string
	account      string
	expires      time.Time
}

// Request is the record of one request STS received.
type Request struct {
	Time        time.Time
	Action      string
	Params      url.Values // the form, WebIdentityToken included
	AccessKeyID string     // from the SigV4 Authorization header, if any
	RequestID   string
	Status      int    // 0 if the connection was dropped or the client gave up
	ErrorCode   string // empty on success
	// Note says why STS decided as it did where that is not obvious from
	// ErrorCode, e.g. which trust-policy statement allowed or denied.
	Note string
}

// defaultIDPTimeout is how long STS waits for an issuer: AWS documents that
// providers slower than 5 seconds fail.
const defaultIDPTimeout = 5 * time.Second

// NewSTS starts an STS on 127.0.0.1. It panics if it cannot listen.
func NewSTS() *STS {
	s := &STS{
		providers:  map[providerKey]OIDCProvider{},
		roles:      map[string]*role{},
		sessions:   map[string]*session{},
		faults:     map[string]*faultState{},
		calls:      map[string]int{},
		trust:      x509.NewCertPool(),
		idpTimeout: defaultIDPTimeout,
		keyErrCode: CodeInvalidIdentityToken,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close shuts STS down.
func (s *STS) Close() { s.srv.Close() }

// SetNow replaces STS's clock (nil restores time.Now). It decides whether
// tokens and issued credentials have expired, and when new ones expire.
func (s *STS) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

func (s *STS) clock() time.Time {
	s.mu.Lock()
	now := s.now
	s.mu.Unlock()
	if now == nil {
		return time.Now()
	}
	return now()
}

// TrustIssuer makes STS trust iss's TLS certificate when it fetches keys.
func (s *STS) TrustIssuer(iss *Issuer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trust.AddCert(iss.tls.ca)
}

// AddIssuer trusts iss and registers it as an OIDC provider in account.
func (s *STS) AddIssuer(iss *Issuer, account string) {
	s.TrustIssuer(iss)
	s.AddOIDCProvider(ProviderFor(iss, account))
}

// SetIDPTimeout sets how long STS waits for an issuer's discovery document
// and keys (default 5s, AWS's documented limit).
func (s *STS) SetIDPTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idpTimeout = d
}

// SetKeyRetrievalErrorCode sets the code STS answers with when it cannot
// fetch an issuer's keys or the key for the token's kid: InvalidIdentityToken
// (the default, what AWS sends) or IDPCommunicationError (what AWS's API
// reference suggests).
func (s *STS) SetKeyRetrievalErrorCode(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyErrCode = code
}

// AddOIDCProvider creates (or replaces) an OIDC provider.
func (s *STS) AddOIDCProvider(p OIDCProvider) {
	if p.Partition == "" {
		p.Partition = "aws"
	}
	if len(p.ClientIDs) == 0 {
		p.ClientIDs = []string{DefaultAudience}
	}
	hp := IssuerHostPath(p.URL)
	p.URL = "https://" + hp
	s.mu.Lock()
	defer s.mu.Unlock()
	s.providers[providerKey{p.Account, hp}] = p
}

// RemoveOIDCProvider deletes the OIDC provider for issuerURL in account.
func (s *STS) RemoveOIDCProvider(account, issuerURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.providers, providerKey{account, IssuerHostPath(issuerURL)})
}

// provider finds the account's provider for a token's iss. IAM matches the
// issuer exactly, scheme included: the iss must be https.
func (s *STS) provider(account, iss string) (OIDCProvider, bool) {
	if len(iss) < len("https://") || iss[:len("https://")] != "https://" {
		return OIDCProvider{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.providers[providerKey{account, IssuerHostPath(iss)}]
	return p, ok
}

// PutRole creates or replaces a role with a trust policy (IAM JSON). A
// policy STS cannot parse is returned as an error wrapping
// ErrMalformedPolicyDocument, and the role is left unchanged.
func (s *STS) PutRole(roleARNString, trustPolicyJSON string) error {
	arn, ok := parseRoleARN(roleARNString)
	if !ok {
		return fmt.Errorf("ststest: PutRole: %q is not an IAM role ARN", roleARNString)
	}
	policy, err := parseTrustPolicy(trustPolicyJSON)
	if err != nil {
		return fmt.Errorf("ststest: PutRole %s: %w", roleARNString, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roles[roleARNString]
	if r == nil {
		r = &role{arn: arn, id: newUniqueID("AROA"), maxSession: time.Hour}
		s.roles[roleARNString] = r
	}
	r.policy, r.text = policy, trustPolicyJSON
	return nil
}

// SetMaxSessionDuration sets a role's MaxSessionDuration (default 1h).
func (s *STS) SetMaxSessionDuration(roleARN string, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roles[roleARN]
	if r == nil {
		return fmt.Errorf("ststest: SetMaxSessionDuration: no role %s", roleARN)
	}
	r.maxSession = d
	return nil
}

// DeleteRole deletes a role; assuming it then fails with AccessDenied, as
// with AWS.
func (s *STS) DeleteRole(roleARN string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.roles, roleARN)
}

// ExpireCredentials makes credentials STS or an attached IMDS issued expire
// now: GetCallerIdentity with them fails with ExpiredToken.
func (s *STS) ExpireCredentials(accessKeyID string) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.sessions[accessKeyID]; sess != nil {
		sess.expires = now.Add(-time.Second)
	}
}

func (s *STS) addSession(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sess.accessKeyID] = sess
}

// Calls is how many requests for action STS received, faulted and failed
// ones included.
func (s *STS) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// Requests is every request received so far, oldest first.
func (s *STS) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// LastRequestID is the request id of the latest request, "" before any.
func (s *STS) LastRequestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRequestID
}

// begin records the arrival of a request and returns its index in requests.
func (s *STS) begin(rec Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[rec.Action]++
	s.lastRequestID = rec.RequestID
	if s.noLog {
		return -1
	}
	s.requests = append(s.requests, rec)
	return len(s.requests) - 1
}

// ForgetSessions drops every session AssumeRoleWithWebIdentity created:
// their credentials stop working. A soak run calls it between checks so the
// emulator's memory does not grow with them.
func (s *STS) ForgetSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// StopRecording stops keeping Requests (Calls still counts), so a long run
// measures the probe's memory, not the emulator's log of it.
func (s *STS) StopRecording() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noLog, s.requests = true, nil
}

// finish records how request i ended.
func (s *STS) finish(i, status int, code, note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= 0 {
		s.requests[i].Status, s.requests[i].ErrorCode, s.requests[i].Note = status, code, note
	}
}

func (s *STS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if f, ok := s.peekFault(r); ok && f.Drip > 0 && !f.Drop {
		dripping(w, r, f.Drip, func(rec http.ResponseWriter) { s.answer(rec, r) })
		return
	}
	s.answer(w, r)
}

// answer is STS's answer to r, faults applied.
func (s *STS) answer(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	// Every AWS answer carries the server's clock in Date (RFC 7231): the
	// probe compares it with its own. Set here, it follows SetNow.
	w.Header().Set("Date", s.clock().UTC().Format(http.TimeFormat))
	// STS takes the query parameters from a form body (what the SDK sends)
	// or from the URL (presigned GetCallerIdentity, as EKS authentication
	// uses).
	parseErr := r.ParseForm()
	action, version := r.Form.Get("Action"), r.Form.Get("Version")
	akid, _ := credentialsFromRequest(r)
	i := s.begin(Request{
		Time: s.clock(), Action: action, Params: r.Form, AccessKeyID: akid, RequestID: requestID,
	})

	if f, ok := s.takeFault(action); ok {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				s.finish(i, 0, "", "client gave up during injected delay")
				return
			}
		}
		if f.Drop {
			s.finish(i, 0, "", "connection dropped by fault")
			// Makes net/http close the connection without a response.
			panic(http.ErrAbortHandler)
		}
		if f.NotAWS != nil {
			s.finish(i, cmp.Or(f.NotAWS.Status, http.StatusOK), "", "injected answer that is not AWS's")
			f.NotAWS.write(w)
			return
		}
		if e := f.apiError(); e != nil {
			s.finish(i, e.Status, e.Code, "injected fault")
			writeError(w, requestID, e)
			return
		}
	}

	var (
		body any
		note string
		e    *apiError
	)
	switch {
	case parseErr != nil || version != stsVersion:
		e = errInvalidAction(action, version)
	case action == "AssumeRoleWithWebIdentity":
		var res *assumeRoleWithWebIdentityResult
		res, note, e = s.assumeRoleWithWebIdentity(r, r.Form)
		if e == nil {
			body = assumeRoleWithWebIdentityResponse{Result: *res, Metadata: responseMetadata{requestID}}
		}
	case action == "GetCallerIdentity":
		var res *getCallerIdentityResult
		res, note, e = s.getCallerIdentity(r)
		if e == nil {
			body = getCallerIdentityResponse{Result: *res, Metadata: responseMetadata{requestID}}
		}
	default:
		e = errInvalidAction(action, version)
	}
	if e != nil {
		s.finish(i, e.Status, e.Code, note)
		writeError(w, requestID, e)
		return
	}
	s.finish(i, http.StatusOK, "", note)
	writeXML(w, http.StatusOK, requestID, body)
}
