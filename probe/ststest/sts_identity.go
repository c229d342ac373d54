package ststest

import (
	"net/http"
	"strings"
)

// credentialsFromRequest finds the access key id and session token a SigV4
// request was signed with: from the Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/sts/aws4_request, ...") and
// X-Amz-Security-Token, or from a presigned URL's X-Amz-Credential and
// X-Amz-Security-Token. The signature itself is NOT verified: the secret is
// never checked. That is fine for a test double whose job is to tell which
// credentials a client used, not to keep anyone out.
func credentialsFromRequest(r *http.Request) (accessKeyID, sessionToken string) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if _, rest, ok := strings.Cut(auth, "Credential="); ok {
			cred, _, _ := strings.Cut(rest, ",")
			accessKeyID, _, _ = strings.Cut(strings.TrimSpace(cred), "/")
		}
		return accessKeyID, r.Header.Get("X-Amz-Security-Token")
	}
	q := r.URL.Query()
	if cred := q.Get("X-Amz-Credential"); cred != "" {
		accessKeyID, _, _ = strings.Cut(cred, "/")
		return accessKeyID, q.Get("X-Amz-Security-Token")
	}
	return "", ""
}

// getCallerIdentity answers with the identity of the credentials that
// signed the request, if STS (or an attached IMDS) issued them.
func (s *STS) getCallerIdentity(r *http.Request) (*getCallerIdentityResult, string, *apiError) {
	accessKeyID, sessionToken := credentialsFromRequest(r)
	if accessKeyID == "" {
		return nil, "request is not signed", errMissingAuthenticationToken()
	}
	now := s.clock()
	s.mu.Lock()
	sess, known := s.sessions[accessKeyID]
	var cp session
	if known {
		cp = *sess
	}
	disabled := s.regionDisabled
	s.mu.Unlock()
	switch {
	case !known:
		return nil, "unknown access key id", errInvalidClientTokenID()
	case cp.sessionToken != "" && sessionToken != cp.sessionToken:
		return nil, "session token does not belong to the access key", errInvalidClientTokenID()
	case !now.Before(cp.expires):
		return nil, "credentials expired at " + formatAWSTime(cp.expires), errExpiredToken()
	case disabled:
		return nil, "", errRegionDisabled(cp.account)
	}
	return &getCallerIdentityResult{Arn: cp.arn, UserID: cp.userID, Account: cp.account}, "", nil
}
