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
	// EKS Pod Identity.
	EvMechanism   = "mechanism"    // irsa, pod-identity, both or none
	EvCluster     = "cluster"      // the EKS cluster, from a Pod Identity session name
	EvTokenEnv    = "token_env"    // the variable naming the token file
	EvTokenVolume = "token_volume" // the projected volume the webhook adds
	EvAgentURL    = "agent_url"    // AWS_CONTAINER_CREDENTIALS_FULL_URI
	EvPodIdentity = "pod_identity" // the Pod Identity path's outcome, when IRSA wins
	EvIRSA        = "irsa"         // the IRSA path's outcome, beside Pod Identity
	EvNoProxy     = "no_proxy"     // NO_PROXY as set, extended by the fix
	// Where the fixes' values come from, when the probe had to infer them.
	EvWorkload     = "workload"      // deployment/NAME, from the pod's name and pod-template-hash
	EvWorkloadFrom = "workload_from" // how the workload was found (or that it is a guess)
	EvRegionFrom   = "region_from"   // where the suggested region comes from
	EvIssuerRegion = "issuer_region" // the region in an EKS issuer's host
	EvIMDS         = "imds"          // what IMDS did for this pod
	EvShadowedBy   = "shadowed_by"   // the variables or files that win over the pod's identity
	EvShadowVars   = "shadow_vars"   // their variable names, space-separated
	EvSessionName  = "session_name"  // AWS_ROLE_SESSION_NAME
	EvSTSDate      = "sts_date"      // STS's Date header
	EvJWKSURI      = "jwks_uri"      // the issuer's jwks_uri
)

// keyOrder is how evidence is listed: identity first, then the token,
// then the AWS call. Keys not listed follow, sorted.
var keyOrder = []string{
	EvMechanism, EvRole, EvExpectedRole, EvGotARN, EvSource, EvCluster, EvAgentURL, EvAccount, EvPartition, EvRegion, EvEndpoint,
	EvTokenFile, EvTokenEnv, EvTokenVolume, EvIssuer, EvSTSIssuer, EvSubject, EvAudience, EvExpectedAud, EvNamespace, EvServiceAccount,
	EvExpectedSA, EvPod, EvWorkload, EvWorkloadFrom, EvExpiry, EvIssuedAt, EvNotBefore, EvNow, EvTimeLeft, EvClockSkew,
	EvErrorCode, EvErrorMessage, EvRequestID, EvHTTPStatus, EvLayer, EvProxy, EvFetchedBy, EvDetail, EvSignature,
	EvIRSA, EvPodIdentity, EvIMDS, EvShadowedBy,
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
