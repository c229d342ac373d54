package finding

import "sort"

// Evidence holds the values the probe saw, by key (see the Ev* constants).
// Never put a token, secret key or session token in it.
type Evidence map[string]string

// Evidence keys, shared by the catalog templates, the text and JSON output.
const (
	EvRole           = "role_arn"
	EvExpectedRole   = "expected_role_arn"
	EvGotARN         = "caller_arn"
	EvAccount        = "account"
	EvPartition      = "partition"
	EvRegion         = "region"
	EvTokenFile      = "token_file"
	EvIssuer         = "issuer"
	EvSTSIssuer      = "sts_issuer"
	EvSubject        = "sub"
	EvAudience       = "aud"
	EvExpectedAud    = "expected_aud"
	EvNamespace      = "namespace"
	EvServiceAccount = "service_account"
	EvExpectedSA     = "expected_service_account"
	EvPod            = "pod"
	EvExpiry         = "exp"
	EvIssuedAt       = "iat"
	EvNotBefore      = "nbf"
	EvNow            = "now"
	EvTimeLeft       = "time_left"
	EvClockSkew      = "clock_skew"
	EvErrorCode      = "error_code"
	EvErrorMessage   = "error_message"
	EvRequestID      = "request_id"
	EvEndpoint       = "endpoint"
	EvLayer          = "layer"
	EvProxy          = "proxy"
	EvSource         = "credential_source"
	EvDetail         = "detail"
	EvFileMode       = "file_mode"
	EvFileOwner      = "file_owner"
	EvProcessUser    = "process_user"
	EvFSGroup        = "fs_group"
	EvSignature      = "signature"
	EvHTTPStatus     = "http_status"
	EvARNValue       = "value"
	EvEnvVar         = "env_var"
	// EvFetchedBy names who failed to reach the issuer when it was not STS.
	EvFetchedBy = "fetched_by"
)

// keyOrder is how evidence is listed: identity first, then the token,
// then the AWS call. Keys not listed follow, sorted.
var keyOrder = []string{
	EvRole, EvExpectedRole, EvGotARN, EvSource, EvAccount, EvPartition, EvRegion, EvEndpoint,
	EvTokenFile, EvIssuer, EvSTSIssuer, EvSubject, EvAudience, EvExpectedAud, EvNamespace, EvServiceAccount,
	EvExpectedSA, EvPod, EvExpiry, EvIssuedAt, EvNotBefore, EvNow, EvTimeLeft, EvClockSkew,
	EvErrorCode, EvErrorMessage, EvRequestID, EvHTTPStatus, EvLayer, EvProxy, EvFetchedBy, EvDetail, EvSignature,
}

var keyRank = func() map[string]int {
	rank := make(map[string]int, len(keyOrder))
	for i, k := range keyOrder {
		rank[k] = i + 1
	}
	return rank
}()

// Keys lists ev's keys in reading order.
func (ev Evidence) Keys() []string {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if r, ok := keyRank[k]; ok {
			return r
		}
		return len(keyRank) + 1
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}
