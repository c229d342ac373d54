package ststest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// EKS emulates the two EKS API operations the kubectl plugin's fleet view
// calls: ListPodIdentityAssociations (paginated) and
// DescribePodIdentityAssociation, on 127.0.0.1; point the SDK at it with
// AWS_ENDPOINT_URL_EKS or eks.Options.BaseEndpoint.
//
// The wire format is restJson1's as aws-sdk-go-v2's service/eks reads it
// (its schemas and response snapshots, v1.105): GET
// /clusters/{clusterName}/pod-identity-associations with the query
// parameters maxResults (1-100, default 100), nextToken, namespace and
// serviceAccount, answering {"associations":[{associationArn,
// associationId, clusterName, namespace, ownerArn, serviceAccount}],
// "nextToken"}; GET …/pod-identity-associations/{associationId}
// answering {"association":{…, roleArn, createdAt (epoch seconds), …}}.
// Errors carry the code in X-Amzn-ErrorType and the body's __type, with
// the status the EKS API reference gives each (ThrottlingException 429,
// AccessDeniedException 403, ResourceNotFoundException 404,
// InvalidParameterException 400). Like STS here, it does not verify
// SigV4, but it refuses an unsigned request as EKS does.
type EKS struct {
	URL    string
	Region string

	srv *httptest.Server

	mu       sync.Mutex
	clusters map[string][]eksAssociation
	// throttle answers the next n requests with ThrottlingException.
	throttle int
	deny     string // non-empty: every request is AccessDenied for this caller ARN
	calls    []string
}

type eksAssociation struct {
	ClusterName    string `json:"clusterName"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleArn,omitempty"`
	AssociationARN string `json:"associationArn"`
	AssociationID  string `json:"associationId"`
	OwnerARN       string `json:"ownerArn,omitempty"`
	CreatedAt      int64  `json:"createdAt,omitempty"`
	ModifiedAt     int64  `json:"modifiedAt,omitempty"`
}

// NewEKS starts an EKS API on 127.0.0.1 with no clusters.
func NewEKS() *EKS {
	e := &EKS{Region: "us-west-2", clusters: map[string][]eksAssociation{}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serveHTTP))
	e.URL = e.srv.URL
	return e
}

// Close stops the server.
func (e *EKS) Close() { e.srv.Close() }

// AddCluster creates an empty cluster.
func (e *EKS) AddCluster(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.clusters[name]; !ok {
		e.clusters[name] = []eksAssociation{}
	}
}

// Associate adds an association to cluster (created if missing) and
// returns its id, a-XXXXXXXXXXXXXXXXX as EKS writes them.
func (e *EKS) Associate(cluster, namespace, serviceAccount, roleARN string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := "a-" + randomString("abcdefghijklmnopqrstuvwxyz0123456789", 17)
	account := "111122223333"
	if p := strings.Split(roleARN, ":"); len(p) > 4 && p[4] != "" {
		account = p[4]
	}
	e.clusters[cluster] = append(e.clusters[cluster], eksAssociation{
		ClusterName: cluster, Namespace: namespace, ServiceAccount: serviceAccount, RoleARN: roleARN,
		AssociationARN: fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", e.Region, account, cluster, id),
		AssociationID:  id, CreatedAt: 1764633600, ModifiedAt: 1764633600,
	})
	return id
}

// Throttle answers the next n requests with ThrottlingException.
func (e *EKS) Throttle(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.throttle = n
}

// Deny answers every request with AccessDeniedException for caller.
func (e *EKS) Deny(caller string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deny = caller
}

// Calls are the requests served, as "METHOD PATH?QUERY".
func (e *EKS) Calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

func eksError(w http.ResponseWriter, status int, code, msg string, extra map[string]string) {
	body := map[string]string{"__type": code, "message": msg}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("X-Amzn-RequestId", newRequestID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (e *EKS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, r.Method+" "+r.URL.RequestURI())
	if !strings.Contains(r.Header.Get("Authorization"), "/eks/aws4_request") {
		eksError(w, http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.", nil)
		return
	}
	if e.throttle > 0 {
		e.throttle--
		eksError(w, http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded", nil)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) < 3 || parts[0] != "clusters" || parts[2] != "pod-identity-associations" || len(parts) > 4 {
		eksError(w, http.StatusNotFound, "ResourceNotFoundException", "No such operation in this emulator.", nil)
		return
	}
	cluster := parts[1]
	op := "ListPodIdentityAssociations"
	if len(parts) == 4 {
		op = "DescribePodIdentityAssociation"
	}
	if e.deny != "" {
		eksError(w, http.StatusForbidden, "AccessDeniedException", fmt.Sprintf("User: %s is not authorized to perform: eks:%s on resource: arn:aws:eks:%s:%s:cluster/%s",
			e.deny, op, e.Region, accountOf(e.deny), cluster), nil)
		return
	}
	assocs, ok := e.clusters[cluster]
	if !ok {
		eksError(w, http.StatusNotFound, "ResourceNotFoundException", "No cluster found for name: "+cluster+".", map[string]string{"clusterName": cluster})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", newRequestID())
	if len(parts) == 4 {
		for _, a := range assocs {
			if a.AssociationID == parts[3] {
				_ = json.NewEncoder(w).Encode(map[string]any{"association": a})
				return
			}
		}
		eksError(w, http.StatusNotFound, "ResourceNotFoundException", "No Pod Identity Association found with id "+parts[3]+".", map[string]string{"clusterName": cluster})
		return
	}
	q := r.URL.Query()
	max := 100
	if s := q.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			eksError(w, http.StatusBadRequest, "InvalidParameterException", "maxResults must be between 1 and 100.", map[string]string{"clusterName": cluster})
			return
		}
		max = n
	}
	var sel []eksAssociation
	for _, a := range assocs {
		if (q.Get("namespace") == "" || a.Namespace == q.Get("namespace")) && (q.Get("serviceAccount") == "" || a.ServiceAccount == q.Get("serviceAccount")) {
			a.RoleARN = "" // the summary has no role
			sel = append(sel, a)
		}
	}
	start := 0
	if t := q.Get("nextToken"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "page-"))
		if err != nil || n < 0 || n > len(sel) {
			eksError(w, http.StatusBadRequest, "InvalidParameterException", "The nextToken is invalid.", map[string]string{"clusterName": cluster})
			return
		}
		start = n
	}
	end := min(start+max, len(sel))
	out := map[string]any{"associations": sel[start:end]}
	if end < len(sel) {
		out["nextToken"] = "page-" + strconv.Itoa(end)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func accountOf(arn string) string {
	if p := strings.Split(arn, ":"); len(p) > 4 {
		return p[4]
	}
	return ""
}
