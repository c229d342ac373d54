package ststest

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// IAM emulates the two IAM operations irsa-probe's migration plan prints,
// GetRole and UpdateAssumeRolePolicy, over an STS's roles: a policy put
// here is the one that STS (and a PodIdentityAgent on it) evaluates. On
// 127.0.0.1; point the SDK or the AWS CLI at it with AWS_ENDPOINT_URL_IAM.
//
// The wire format is IAM's query protocol (Action, Version 2010-05-08,
// RoleName, PolicyDocument in a form body) answering XML in the
// https://iam.amazonaws.com/doc/2010-05-08/ namespace, the policy
// document URL-encoded in GetRole's answer as IAM returns it; errors are
// NoSuchEntity (404, "The role with name NAME cannot be found.") and
// MalformedPolicyDocument (400), with IAM's texts. Like STS here, it
// verifies no signature but refuses an unsigned request.
type IAM struct {
	URL string

	sts *STS
	srv *httptest.Server

	mu    sync.Mutex
	calls []string
}

// NewIAM starts IAM over sts's roles.
func NewIAM(sts *STS) *IAM {
	i := &IAM{sts: sts}
	i.srv = httptest.NewServer(http.HandlerFunc(i.serveHTTP))
	i.URL = i.srv.URL
	return i
}

// Close stops the server.
func (i *IAM) Close() { i.srv.Close() }

// Calls are the actions served, with their RoleName.
func (i *IAM) Calls() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return slices.Clone(i.calls)
}

type iamRole struct {
	Path                     string `xml:"Path"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
	RoleID                   string `xml:"RoleId"`
	RoleName                 string `xml:"RoleName"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
}

type getRoleResponse struct {
	XMLName  xml.Name         `xml:"https://iam.amazonaws.com/doc/2010-05-08/ GetRoleResponse"`
	Role     iamRole          `xml:"GetRoleResult>Role"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type updateAssumeRolePolicyResponse struct {
	XMLName  xml.Name         `xml:"https://iam.amazonaws.com/doc/2010-05-08/ UpdateAssumeRolePolicyResponse"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type iamErrorResponse struct {
	XMLName   xml.Name `xml:"https://iam.amazonaws.com/doc/2010-05-08/ ErrorResponse"`
	Error     xmlError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

func (i *IAM) serveHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	fail := func(status int, code, msg string) {
		writeXML(w, status, requestID, iamErrorResponse{Error: xmlError{Type: "Sender", Code: code, Message: msg}, RequestID: requestID})
	}
	if akid, _ := credentialsFromRequest(r); akid == "" {
		fail(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil || r.Form.Get("Version") != "2010-05-08" {
		fail(http.StatusBadRequest, "InvalidAction", "Could not find operation "+r.Form.Get("Action")+" for version "+r.Form.Get("Version"))
		return
	}
	action, name := r.Form.Get("Action"), r.Form.Get("RoleName")
	i.mu.Lock()
	i.calls = append(i.calls, action+" "+name)
	i.mu.Unlock()
	arn, ro := i.sts.roleNamed(name)
	if ro == nil && (action == "GetRole" || action == "UpdateAssumeRolePolicy") {
		fail(http.StatusNotFound, "NoSuchEntity", "The role with name "+name+" cannot be found.")
		return
	}
	switch action {
	case "GetRole":
		writeXML(w, http.StatusOK, requestID, getRoleResponse{Role: iamRole{
			Path: "/", AssumeRolePolicyDocument: url.QueryEscape(ro.text), MaxSessionDuration: int(ro.maxSession.Seconds()),
			RoleID: ro.id, RoleName: ro.arn.name, Arn: arn, CreateDate: "2025-12-01T00:00:00Z",
		}, Metadata: responseMetadata{requestID}})
	case "UpdateAssumeRolePolicy":
		if err := i.sts.PutRole(arn, r.Form.Get("PolicyDocument")); err != nil {
			msg := "Syntax errors in policy."
			if !errors.Is(err, ErrMalformedPolicyDocument) {
				msg = err.Error()
			}
			fail(http.StatusBadRequest, "MalformedPolicyDocument", msg)
			return
		}
		writeXML(w, http.StatusOK, requestID, updateAssumeRolePolicyResponse{Metadata: responseMetadata{requestID}})
	default:
		fail(http.StatusBadRequest, "InvalidAction", "Could not find operation "+action+" for version 2010-05-08")
	}
}

// roleNamed is the role of that name (IAM names are unique in an
// account, case-insensitively; the tests use one account).
func (s *STS) roleNamed(name string) (string, *role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for arn, r := range s.roles {
		if name != "" && strings.EqualFold(r.arn.name, name) {
			return arn, r
		}
	}
	return "", nil
}
