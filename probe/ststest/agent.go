package ststest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// PodIdentityAgent emulates a node's eks-pod-identity-agent together with
// EKS Auth behind it: GET /v1/credentials with a Pod Identity token in the
// Authorization header answers with credentials for the role associated
// with the token's service account, which the attached STS recognises in
// GetCallerIdentity. It listens on 127.0.0.1, which the SDKs allow for
// AWS_CONTAINER_CREDENTIALS_FULL_URI as they allow 169.254.170.23; point
// that variable at URL.
//
// The agent's own answers are aws/eks-pod-identity-agent's, byte for byte
// (http.Error: text/plain, the text and a newline):
//
//	internal/validation/request.go  host check (403), "Service account token cannot be
//	                                empty", "… cannot be parsed: …", "… failed basic claim
//	                                validations: …" (400, golang-jwt v5's texts)
//	internal/middleware/rate_limiter  429 "Too Many Requests"
//	pkg/errors/errors.go  EKS Auth's errors as "[REQUEST_ID]: (CODE): MESSAGE, fault:
//	                      client" with EKS Auth's status; other errors' text with 500
//	pkg/credentials/model.go  the 200 body: AccessKeyId, SecretAccessKey, Token,
//	                          AccountId, Expiration (RFC 3339)
//
// EKS Auth's error codes and statuses are its API reference's
// (AssumeRoleForPodIdentity); its message texts are not published, except
// AccessDeniedException's for an untrusting role, quoted in EKS's
// troubleshooting; the others here are representative. Like the STS
// emulation, EKS Auth does not verify the token's signature.
type PodIdentityAgent struct {
	// URL is the full credentials URI, http://127.0.0.1:PORT/v1/credentials.
	URL string
	// ClusterName is the cluster, as in the session name
	// eks-CLUSTER-POD-UUID; set it before the first request.
	ClusterName string
	// Region is the cluster's, in its ARN (default us-west-2).
	Region string

	srv *httptest.Server
	sts *STS

	mu           sync.Mutex
	associations map[string]string // "namespace/serviceaccount" -> role ARN
	fault        AgentFault
	calls        int
}

// AgentFault is a failure the agent or EKS Auth behind it answers with.
type AgentFault int

// The faults, each as the real agent shows it.
const (
	AgentHealthy AgentFault = iota
	// AgentThroughProxy: the request reached the agent under another host
	// than its link-local addresses, as through a proxy: 403.
	AgentThroughProxy
	// AgentRateLimited: the agent's own rate limit: 429 Too Many Requests.
	AgentRateLimited
	// AgentEKSAuthThrottled: EKS Auth's ThrottlingException, passed on (429).
	AgentEKSAuthThrottled
	// AgentEKSAuthUnreachable: no route to EKS Auth (no eks-auth VPC
	// endpoint): the SDK's error text with 500.
	AgentEKSAuthUnreachable
	// AgentNodeRoleDenied: the node role lacks eks-auth:AssumeRoleForPodIdentity.
	AgentNodeRoleDenied
	// AgentHang: the agent accepts the connection and never answers.
	AgentHang
	// AgentStallBody: the agent answers the status line and headers of
	// its answer, then never the body.
	AgentStallBody
)

// The agent's link-local addresses (configuration/config.go) and the
// audience of Pod Identity tokens.
const (
	PodIdentityAgentIPv4 = "169.254.170.23"
	PodIdentityAgentIPv6 = "fd00:ec2::23"
	PodIdentityAudience  = "pods.eks.amazonaws.com"
	// MsgPodIdentityDenied is EKS Auth's AccessDeniedException text when
	// the role does not trust pods.eks.amazonaws.com.
	MsgPodIdentityDenied = "EKS does not have permissions to assume the associated role."
)

// DefaultClusterName is the agent's cluster unless set otherwise.
const DefaultClusterName = "payments-prod"

// NewPodIdentityAgent starts an agent whose credentials sts knows. It
// panics if it cannot listen.
func NewPodIdentityAgent(sts *STS) *PodIdentityAgent {
	a := &PodIdentityAgent{ClusterName: DefaultClusterName, Region: "us-west-2", sts: sts, associations: map[string]string{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serveHTTP))
	a.URL = a.srv.URL + "/v1/credentials"
	return a
}

// Close stops the agent: connections are then refused, as on a node
// without the agent.
func (a *PodIdentityAgent) Close() { a.srv.Close() }

// Associate creates the Pod Identity association of a service account with
// a role (aws eks create-pod-identity-association).
func (a *PodIdentityAgent) Associate(namespace, serviceAccount, roleARN string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.associations[namespace+"/"+serviceAccount] = roleARN
}

// Disassociate deletes it.
func (a *PodIdentityAgent) Disassociate(namespace, serviceAccount string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.associations, namespace+"/"+serviceAccount)
}

// SetFault makes every request fail with f (AgentHealthy: none).
func (a *PodIdentityAgent) SetFault(f AgentFault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fault = f
}

// Calls is how many requests the agent received.
func (a *PodIdentityAgent) Calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// agentEKSAuthError writes what the agent's HandleCredentialFetchingError makes of
// an EKS Auth error: "[REQUEST_ID]: (CODE): MESSAGE, fault: client".
func agentEKSAuthError(w http.ResponseWriter, status int, code, msg string) {
	fault := "client"
	if status >= 500 {
		fault = "server"
	}
	http.Error(w, fmt.Sprintf("[%s]: (%s): %s, fault: %s", newRequestID(), code, msg, fault), status)
}

func (a *PodIdentityAgent) serveHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.calls++
	fault := a.fault
	a.mu.Unlock()
	if fault == AgentStallBody {
		dripping(w, r, StallBody, func(w http.ResponseWriter) { a.answer(w, r, AgentHealthy) })
		return
	}
	a.answer(w, r, fault)
}

// answer is the agent's answer to r with fault.
func (a *PodIdentityAgent) answer(w http.ResponseWriter, r *http.Request, fault AgentFault) {
	if r.URL.Path != "/v1/credentials" {
		http.NotFound(w, r)
		return
	}
	switch fault {
	case AgentRateLimited:
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	case AgentHang:
		<-r.Context().Done()
		return
	}
	// validateRequestTargetHost: 127.0.0.1 stands in for the link-local
	// addresses, as in the agent's own tests.
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	allowed := []string{PodIdentityAgentIPv4, PodIdentityAgentIPv6}
	if fault != AgentThroughProxy && host == "127.0.0.1" {
		allowed = append(allowed, host)
	}
	if !contains(allowed, host) {
		http.Error(w, fmt.Sprintf("Access Denied. Called agent through invalid address, please use either %s address not %s",
			[]string{PodIdentityAgentIPv4, PodIdentityAgentIPv6}, host), http.StatusForbidden)
		return
	}
	token := r.Header.Get("Authorization")
	if token == "" {
		http.Error(w, "Service account token cannot be empty", http.StatusBadRequest)
		return
	}
	claims, err := parseUnverified(token)
	if err != nil {
		http.Error(w, "Service account token cannot be parsed: "+err.Error(), http.StatusBadRequest)
		return
	}
	now := a.sts.clock()
	if msg := claims.basicValidation(now); msg != "" {
		http.Error(w, "Service account token failed basic claim validations: "+msg, http.StatusBadRequest)
		return
	}
	switch fault {
	case AgentEKSAuthThrottled:
		agentEKSAuthError(w, http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded")
		return
	case AgentEKSAuthUnreachable:
		http.Error(w, `operation error EKS Auth: AssumeRoleForPodIdentity, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post "https://eks-auth.us-west-2.api.aws/clusters/`+a.ClusterName+`/assume-role-for-pod-identity": dial tcp 10.0.12.34:443: i/o timeout`, http.StatusInternalServerError)
		return
	case AgentNodeRoleDenied:
		agentEKSAuthError(w, http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf(
			"User: arn:aws:sts::%s:assumed-role/eks-node-role/%s is not authorized to perform: eks-auth:AssumeRoleForPodIdentity on resource: arn:aws:eks:us-west-2:%s:cluster/%s",
			DefaultAccount, DefaultInstanceID, DefaultAccount, a.ClusterName))
		return
	}
	a.assumeRoleForPodIdentity(w, claims, now)
}

// assumeRoleForPodIdentity is EKS Auth: the association, the role's trust
// for pods.eks.amazonaws.com (sts:AssumeRole and sts:TagSession), then a
// session named eks-CLUSTER-POD-UUID.
func (a *PodIdentityAgent) assumeRoleForPodIdentity(w http.ResponseWriter, c *agentClaims, now time.Time) {
	if !contains(c.Aud, PodIdentityAudience) {
		agentEKSAuthError(w, http.StatusBadRequest, "InvalidTokenException", "The service account token audience is invalid.")
		return
	}
	ns, sa := c.K8s.Namespace, c.K8s.ServiceAccount.Name
	a.mu.Lock()
	roleARNString, ok := a.associations[ns+"/"+sa]
	a.mu.Unlock()
	if !ok {
		agentEKSAuthError(w, http.StatusNotFound, "ResourceNotFoundException", "No Pod Identity Association found for the service account.")
		return
	}
	s := a.sts
	s.mu.Lock()
	rl := s.roles[roleARNString]
	var policy *trustPolicy
	var roleID string
	if rl != nil {
		policy, roleID = rl.policy, rl.id
	}
	s.mu.Unlock()
	arn0, _ := parseRoleARN(roleARNString)
	// The session tags EKS Auth sets (EKS User Guide, "Define permissions
	// for EKS Pod Identities to assume roles based on tags").
	ctx := map[string][]string{
		"aws:requesttag/eks-cluster-arn":            {"arn:aws:eks:" + a.Region + ":" + arn0.account + ":cluster/" + a.ClusterName},
		"aws:requesttag/eks-cluster-name":           {a.ClusterName},
		"aws:requesttag/kubernetes-pod-uid":         {c.K8s.Pod.UID},
		"aws:requesttag/kubernetes-namespace":       {ns},
		"aws:requesttag/kubernetes-service-account": {sa},
		"aws:requesttag/kubernetes-pod-name":        {c.K8s.Pod.Name},
	}
	for _, action := range []string{"sts:AssumeRole", "sts:TagSession"} {
		if rl == nil {
			break
		}
		if ok, _ := policy.evaluate(trustRequest{service: PodIdentityAudience, action: action, context: ctx}); !ok {
			rl = nil
		}
	}
	arn, _ := parseRoleARN(roleARNString)
	if rl == nil {
		agentEKSAuthError(w, http.StatusBadRequest, "AccessDeniedException", MsgPodIdentityDenied)
		return
	}
	// STS limits session names to 64 characters: the pod part gives way.
	name := "eks-" + a.ClusterName + "-"
	uuid := "-" + newRequestID()
	pod := c.K8s.Pod.Name
	if n := 64 - len(name) - len(uuid); len(pod) > n {
		pod = pod[:max(n, 0)]
	}
	name += pod + uuid
	sess := newRoleSession(arn, roleID, name, now.Add(6*time.Hour))
	s.addSession(sess)
	w.Header().Add("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"AccessKeyId":     sess.accessKeyID,
		"SecretAccessKey": sess.secret,
		"Token":           sess.sessionToken,
		"AccountId":       sess.account,
		"Expiration":      sess.expires.UTC().Format(time.RFC3339Nano),
	})
}

// agentClaims are the claims the agent and EKS Auth read.
type agentClaims struct {
	Sub string   `json:"sub"`
	Aud audience `json:"aud"`
	Exp *float64 `json:"exp"`
	Nbf *float64 `json:"nbf"`
	K8s struct {
		Namespace      string `json:"namespace"`
		ServiceAccount struct {
			Name string `json:"name"`
		} `json:"serviceaccount"`
		Pod struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"pod"`
	} `json:"kubernetes.io"`
}

// audience is a JWT aud: a string or a list.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*a = many
	return err
}

// parseUnverified decodes the token as golang-jwt v5's ParseUnverified
// does, with its error texts.
func parseUnverified(token string) (*agentClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("token is malformed: token contains an invalid number of segments")
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil {
		return nil, fmt.Errorf("token is malformed: could not base64 decode header")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("token is malformed: could not base64 decode claim")
	}
	var c agentClaims
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("token is malformed: could not JSON decode claim")
	}
	return &c, nil
}

// basicValidation is golang-jwt v5's Validator.Validate without leeway:
// exp and nbf, "" when both pass.
func (c *agentClaims) basicValidation(now time.Time) string {
	var errs []string
	if c.Exp != nil && now.After(time.Unix(int64(*c.Exp), 0)) {
		errs = append(errs, "token is expired")
	}
	if c.Nbf != nil && now.Before(time.Unix(int64(*c.Nbf), 0)) {
		errs = append(errs, "token is not valid yet")
	}
	return strings.Join(errs, ", ")
}

// newRoleSession is a fresh session of a role, as STS issues for
// AssumeRoleWithWebIdentity and EKS Auth (through STS) for Pod Identity.
func newRoleSession(arn roleARN, roleID, name string, expires time.Time) *session {
	return &session{
		accessKeyID:  newAccessKeyID("ASIA"),
		secret:       newSecretAccessKey(),
		sessionToken: newSessionToken(),
		arn:          arn.assumedRoleARN(name),
		userID:       roleID + ":" + name,
		account:      arn.account,
		expires:      expires,
	}
}

// Association returns the role associated with a service account, as
// EKSWebhook.PodIdentityAssociation wants it.
func (a *PodIdentityAgent) Association(namespace, serviceAccount string) (roleARN string, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	roleARN, ok = a.associations[namespace+"/"+serviceAccount]
	return roleARN, ok
}
