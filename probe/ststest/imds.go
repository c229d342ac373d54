package ststest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// IMDS emulates the EC2 instance metadata service of an EKS node whose
// instance profile carries the node role: what a pod falls back to when IRSA
// is not in effect. It speaks IMDSv2 (a PUT for a session token, then GETs
// carrying it) at the paths aws-sdk-go-v2's ec2rolecreds provider and imds
// client use. Point the SDK at URL with AWS_EC2_METADATA_SERVICE_ENDPOINT.
type IMDS struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL string

	// InstanceID, Region and AvailabilityZone are what the node reports;
	// change them, if at all, before the first request.
	InstanceID       string
	Region           string
	AvailabilityZone string

	srv       *httptest.Server
	roleARN   roleARN
	profileID string

	mu          sync.Mutex
	sts         *STS
	creds       *session
	lastUpdated time.Time
	tokens      map[string]time.Time // IMDSv2 session token -> expiry
	unreachable bool
	allowV1     bool
	calls       map[string]int // by path
}

// DefaultInstanceID is the instance id IMDS reports, and the session name in
// the node role's assumed-role ARN.
const DefaultInstanceID = "i-0123456789abcdef0"

// maxIMDSTokenTTL is IMDSv2's limit on a session token's lifetime (6h).
const maxIMDSTokenTTL = 21600

// NewIMDS starts an IMDS on 127.0.0.1 for a node whose instance profile has
// the role nodeRoleARN (arn:aws:iam::ACCOUNT:role/NAME). It panics if it
// cannot listen or nodeRoleARN is not a role ARN. Attach it to an STS
// (STS.AttachIMDS) for GetCallerIdentity to know its credentials.
func NewIMDS(nodeRoleARN string) *IMDS {
	arn, ok := parseRoleARN(nodeRoleARN)
	if !ok {
		panic(fmt.Sprintf("ststest: NewIMDS: %q is not an IAM role ARN", nodeRoleARN))
	}
	m := &IMDS{
		InstanceID:       DefaultInstanceID,
		Region:           "us-west-2",
		AvailabilityZone: "us-west-2a",
		roleARN:          arn,
		profileID:        newUniqueID("AIPA"),
		tokens:           map[string]time.Time{},
		calls:            map[string]int{},
	}
	m.RotateCredentials()
	m.srv = httptest.NewServer(http.HandlerFunc(m.serveHTTP))
	m.URL = m.srv.URL
	return m
}

// Close shuts IMDS down: "no IMDS", as for a pod with hostNetwork false and
// a hop limit of 1, or off EC2.
func (m *IMDS) Close() { m.srv.Close() }

// RoleName is the node role's name, what IMDS lists under
// iam/security-credentials/.
func (m *IMDS) RoleName() string { return m.roleARN.name }

// SetUnreachable makes IMDS drop every connection without answering (true),
// or serve again (false).
func (m *IMDS) SetUnreachable(unreachable bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unreachable = unreachable
}

// AllowIMDSv1 makes IMDS answer GETs without a session token too
// (HttpTokens "optional"); by default tokens are required, as EKS sets up.
func (m *IMDS) AllowIMDSv1(allow bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.allowV1 = allow
}

// Calls is how many requests IMDS received for path (e.g.
// "/latest/api/token").
func (m *IMDS) Calls(path string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[path]
}

// AccessKeyID is the access key id of the node role's current credentials.
func (m *IMDS) AccessKeyID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.creds.accessKeyID
}

// AssumedRoleARN is the identity of the node credentials:
// arn:aws:sts::ACCOUNT:assumed-role/NODE_ROLE/INSTANCE_ID.
func (m *IMDS) AssumedRoleARN() string { return m.roleARN.assumedRoleARN(m.InstanceID) }

// RotateCredentials issues new node credentials, as EC2 does every few hours.
func (m *IMDS) RotateCredentials() {
	now := time.Now()
	sess := &session{
		accessKeyID:  newAccessKeyID("ASIA"),
		secret:       newSecretAccessKey(),
		sessionToken: newSessionToken(),
		arn:          m.roleARN.assumedRoleARN(m.InstanceID),
		userID:       newUniqueID("AROA") + ":" + m.InstanceID,
		account:      m.roleARN.account,
		expires:      now.Add(6 * time.Hour),
	}
	m.mu.Lock()
	if m.creds != nil {
		// Keep the role's unique id across rotations, as IAM does.
		sess.userID = m.creds.userID
	}
	m.creds, m.lastUpdated = sess, now
	sts := m.sts
	m.mu.Unlock()
	if sts != nil {
		sts.addSession(sess)
	}
}

// AttachIMDS makes STS recognise the credentials m hands out, now and after
// rotations.
func (s *STS) AttachIMDS(m *IMDS) {
	m.mu.Lock()
	m.sts = s
	creds := m.creds
	m.mu.Unlock()
	s.addSession(creds)
}

func (m *IMDS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.calls[r.URL.Path]++
	unreachable := m.unreachable
	m.mu.Unlock()
	if unreachable {
		panic(http.ErrAbortHandler)
	}
	if r.URL.Path == "/latest/api/token" {
		m.serveToken(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "", http.StatusMethodNotAllowed)
		return
	}
	if !m.authorized(r) {
		// IMDSv2 with tokens required: a GET without a valid token.
		http.Error(w, "", http.StatusUnauthorized)
		return
	}
	body, contentType, ok := m.metadata(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
}

// serveToken is IMDSv2's PUT /latest/api/token: the TTL header is required
// (1 to 21600 seconds) and the token comes back with the TTL echoed.
func (m *IMDS) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		http.Error(w, "", http.StatusMethodNotAllowed)
		return
	}
	// IMDS refuses token requests that went through a proxy.
	if r.Header.Get("X-Forwarded-For") != "" {
		http.Error(w, "", http.StatusForbidden)
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
	if err != nil || ttl < 1 || ttl > maxIMDSTokenTTL {
		http.Error(w, "", http.StatusBadRequest)
		return
	}
	token := randomString(base64ish, 56) + "=="
	m.mu.Lock()
	m.tokens[token] = time.Now().Add(time.Duration(ttl) * time.Second)
	m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", strconv.Itoa(ttl))
	_, _ = w.Write([]byte(token))
}

func (m *IMDS) authorized(r *http.Request) bool {
	token := r.Header.Get("X-Aws-Ec2-Metadata-Token")
	m.mu.Lock()
	defer m.mu.Unlock()
	if token == "" {
		return m.allowV1
	}
	exp, ok := m.tokens[token]
	return ok && time.Now().Before(exp)
}

// metadata is the document at path, for the paths the SDK and a diagnosis
// tool read.
func (m *IMDS) metadata(path string) (body []byte, contentType string, ok bool) {
	// IMDS serves everything, JSON documents included, as text/plain.
	const text, js = "text/plain", "text/plain"
	m.mu.Lock()
	creds, updated := *m.creds, m.lastUpdated
	m.mu.Unlock()
	role := m.roleARN
	credsPath := "/latest/meta-data/iam/security-credentials/"
	switch {
	case path == "/latest/meta-data/instance-id":
		return []byte(m.InstanceID), text, true
	case path == "/latest/meta-data/placement/region":
		return []byte(m.Region), text, true
	case path == "/latest/meta-data/placement/availability-zone":
		return []byte(m.AvailabilityZone), text, true
	case path == credsPath:
		return []byte(role.name), text, true
	case path == credsPath+role.name:
		return mustJSON(map[string]string{
			"Code":            "Success",
			"LastUpdated":     formatAWSTime(updated),
			"Type":            "AWS-HMAC",
			"AccessKeyId":     creds.accessKeyID,
			"SecretAccessKey": creds.secret,
			"Token":           creds.sessionToken,
			"Expiration":      formatAWSTime(creds.expires),
		}), js, true
	case path == "/latest/meta-data/iam/info":
		return mustJSON(map[string]string{
			"Code":               "Success",
			"LastUpdated":        formatAWSTime(updated),
			"InstanceProfileArn": "arn:" + role.partition + ":iam::" + role.account + ":instance-profile/" + role.name,
			"InstanceProfileId":  m.profileID,
		}), js, true
	case path == "/latest/dynamic/instance-identity/document":
		return mustJSON(map[string]any{
			"accountId":        role.account,
			"architecture":     "x86_64",
			"availabilityZone": m.AvailabilityZone,
			"imageId":          "ami-0abcdef1234567890",
			"instanceId":       m.InstanceID,
			"instanceType":     "m5.large",
			"pendingTime":      formatAWSTime(updated),
			"privateIp":        "10.0.1.23",
			"region":           m.Region,
			"version":          "2017-09-30",
		}), js, true
	}
	return nil, "", false
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("ststest: marshal IMDS document: " + err.Error())
	}
	return b
}
