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

// EKS emulates the EKS API operations the kubectl plugin's fleet view
// calls, ListPodIdentityAssociations (paginated),
// DescribePodIdentityAssociation and DescribeCluster, and those its
// migration plan prints, CreatePodIdentityAssociation and
// DeletePodIdentityAssociation, on 127.0.0.1; point the SDK or the AWS CLI
// at it with AWS_ENDPOINT_URL_EKS (or eks.Options.BaseEndpoint).
//
// The wire format is restJson1's as aws-sdk-go-v2's service/eks reads it
// (its schemas and response snapshots, v1.105): GET
// /clusters/{clusterName}/pod-identity-associations with the query
// parameters maxResults (1-100, default 100), nextToken, namespace and
// serviceAccount, answering {"associations":[{associationArn,
// associationId, clusterName, namespace, ownerArn, serviceAccount}],
// "nextToken"}; GET …/pod-identity-associations/{associationId}
// answering {"association":{…, roleArn, createdAt (epoch seconds), …}};
// POST …/pod-identity-associations with {namespace, serviceAccount,
// roleArn, targetRoleArn, disableSessionTags, clientRequestToken}
// answering the association (409 ResourceInUseException "Association
// already exists: ID" for a second one of a service account), DELETE
// …/pod-identity-associations/{associationId} answering the association
// deleted; GET /clusters/{name} answering {"cluster":{name, arn, status,
// identity.oidc.issuer}}.
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
	issuers  map[string]string

	// Account is the clusters' account (their ARNs'), DefaultAccount
	// unless set before the first request.
	Account string
	// OnAssociate and OnDisassociate, when set, hear every association
	// created or deleted through the API (not through Associate), as
	// EKS's webhook and the Pod Identity agent learn of them. They run
	// with the EKS locked: they must not call it.
	OnAssociate    func(cluster, namespace, serviceAccount, roleARN string)
	OnDisassociate func(cluster, namespace, serviceAccount string)
}

type eksAssociation struct {
	ClusterName    string `json:"clusterName"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleArn,omitempty"`
	AssociationARN string `json:"associationArn"`
	AssociationID  string `json:"associationId"`
	OwnerARN       string `json:"ownerArn,omitempty"`
	TargetRoleARN  string `json:"targetRoleArn,omitempty"`
	ExternalID     string `json:"externalId,omitempty"`
	// DisableSessionTags is in every full answer, false by default.
	DisableSessionTags *bool `json:"disableSessionTags,omitempty"`
	CreatedAt          int64 `json:"createdAt,omitempty"`
	ModifiedAt         int64 `json:"modifiedAt,omitempty"`
}

// NewEKS starts an EKS API on 127.0.0.1 with no clusters.
func NewEKS() *EKS {
	e := &EKS{Region: "us-west-2", Account: DefaultAccount, clusters: map[string][]eksAssociation{}, issuers: map[string]string{}}
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

// SetIssuer is the OIDC issuer DescribeCluster names for cluster
// (created if missing).
func (e *EKS) SetIssuer(cluster, issuer string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.clusters[cluster]; !ok {
		e.clusters[cluster] = []eksAssociation{}
	}
	e.issuers[cluster] = issuer
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
	op := eksOperation(r.Method, parts)
	if op == "" {
		eksError(w, http.StatusNotFound, "ResourceNotFoundException", "No such operation in this emulator.", nil)
		return
	}
	cluster := parts[1]
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
	switch op {
	case "DescribeCluster":
		e.describeCluster(w, cluster)
		return
	case "CreatePodIdentityAssociation":
		e.create(w, r, cluster)
		return
	case "DeletePodIdentityAssociation":
		e.delete(w, cluster, parts[3])
		return
	}
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
			// The summary has no role, target, external id or tag setting.
			a.RoleARN, a.TargetRoleARN, a.ExternalID, a.DisableSessionTags = "", "", "", nil
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

// eksOperation names the operation of a request, "" for none.
func eksOperation(method string, parts []string) string {
	if len(parts) < 2 || parts[0] != "clusters" || parts[1] == "" {
		return ""
	}
	switch {
	case len(parts) == 2 && method == http.MethodGet:
		return "DescribeCluster"
	case len(parts) < 3 || parts[2] != "pod-identity-associations" || len(parts) > 4:
		return ""
	case len(parts) == 3 && method == http.MethodGet:
		return "ListPodIdentityAssociations"
	case len(parts) == 3 && method == http.MethodPost:
		return "CreatePodIdentityAssociation"
	case len(parts) == 4 && method == http.MethodGet:
		return "DescribePodIdentityAssociation"
	case len(parts) == 4 && method == http.MethodDelete:
		return "DeletePodIdentityAssociation"
	}
	return ""
}

// describeCluster answers DescribeCluster with the fields the plugin reads.
func (e *EKS) describeCluster(w http.ResponseWriter, cluster string) {
	c := map[string]any{
		"name": cluster, "arn": fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", e.Region, e.Account, cluster),
		"status": "ACTIVE", "version": "1.34", "createdAt": 1764633600,
	}
	if iss := e.issuers[cluster]; iss != "" {
		c["identity"] = map[string]any{"oidc": map[string]string{"issuer": iss}}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"cluster": c})
}

// create answers CreatePodIdentityAssociation: the association, with an
// external id when it chains to a target role.
func (e *EKS) create(w http.ResponseWriter, r *http.Request, cluster string) {
	var in struct {
		Namespace          string `json:"namespace"`
		ServiceAccount     string `json:"serviceAccount"`
		RoleARN            string `json:"roleArn"`
		TargetRoleARN      string `json:"targetRoleArn"`
		DisableSessionTags bool   `json:"disableSessionTags"`
		ClientRequestToken string `json:"clientRequestToken"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		eksError(w, http.StatusBadRequest, "InvalidParameterException", "The request body is not valid JSON.", map[string]string{"clusterName": cluster})
		return
	}
	for name, v := range map[string]string{"namespace": in.Namespace, "serviceAccount": in.ServiceAccount, "roleArn": in.RoleARN} {
		if v == "" {
			eksError(w, http.StatusBadRequest, "InvalidParameterException", name+" is required.", map[string]string{"clusterName": cluster})
			return
		}
	}
	for _, a := range e.clusters[cluster] {
		if a.Namespace == in.Namespace && a.ServiceAccount == in.ServiceAccount {
			eksError(w, http.StatusConflict, "ResourceInUseException", "Association already exists: "+a.AssociationID, map[string]string{"clusterName": cluster})
			return
		}
	}
	id := "a-" + randomString("abcdefghijklmnopqrstuvwxyz0123456789", 17)
	disable := in.DisableSessionTags
	a := eksAssociation{
		ClusterName: cluster, Namespace: in.Namespace, ServiceAccount: in.ServiceAccount, RoleARN: in.RoleARN,
		AssociationARN: fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", e.Region, e.Account, cluster, id),
		AssociationID:  id, CreatedAt: 1764633600, ModifiedAt: 1764633600,
		TargetRoleARN: in.TargetRoleARN, DisableSessionTags: &disable,
	}
	if in.TargetRoleARN != "" {
		a.ExternalID = newRequestID()
	}
	e.clusters[cluster] = append(e.clusters[cluster], a)
	if e.OnAssociate != nil {
		e.OnAssociate(cluster, a.Namespace, a.ServiceAccount, a.RoleARN)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"association": a})
}

// delete answers DeletePodIdentityAssociation with the association gone.
func (e *EKS) delete(w http.ResponseWriter, cluster, id string) {
	as := e.clusters[cluster]
	for i, a := range as {
		if a.AssociationID != id {
			continue
		}
		e.clusters[cluster] = slices.Delete(as, i, i+1)
		if e.OnDisassociate != nil {
			e.OnDisassociate(cluster, a.Namespace, a.ServiceAccount)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"association": a})
		return
	}
	eksError(w, http.StatusNotFound, "ResourceNotFoundException", "No Pod Identity Association found with id "+id+".", map[string]string{"clusterName": cluster})
}
