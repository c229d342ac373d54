package ststest

import (
	"fmt"
	"net/http"
	"strings"
)

// The error codes STS answers with. They are what smithy.APIError.ErrorCode()
// returns in the SDK.
const (
	CodeAccessDenied               = "AccessDenied"
	CodeInvalidIdentityToken       = "InvalidIdentityToken"
	CodeIDPCommunicationError      = "IDPCommunicationError"
	CodeExpiredTokenException      = "ExpiredTokenException"
	CodeRegionDisabledException    = "RegionDisabledException"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeExpiredToken               = "ExpiredToken"
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeThrottling                 = "Throttling"
	CodeValidationError            = "ValidationError"
	CodeInternalFailure            = "InternalFailure"
	CodeInvalidAction              = "InvalidAction"
)

// AWS's message texts, verbatim, with where each was found. Where AWS's real
// text for a case could not be found, the text is the one AWS documents for
// the error code, and the comment says so.
const (
	// Seen in countless IRSA bug reports and AWS's own EKS troubleshooting
	// guide; returned for a missing role too, so the caller cannot probe
	// which roles exist.
	MsgAccessDenied = "Not authorized to perform sts:AssumeRoleWithWebIdentity"

	// Prefix of "No OpenIDConnect provider found in your account for
	// https://token.actions.githubusercontent.com" (GitHub Actions and EKS
	// troubleshooting docs); it names the token's iss verbatim.
	msgNoOIDCProviderPrefix = "No OpenIDConnect provider found in your account for "

	// From reports of STS rejecting the default kube-api-access token and
	// GitLab/GitHub tokens minted for another audience.
	MsgIncorrectAudience = "Incorrect token audience"

	// From AWS's IAM docs and GitHub's 2023 certificate rotation reports.
	MsgThumbprint = "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"

	// Raw wire capture in awslabs/aws-sdk-rust#827 (note the two spaces after
	// the comma), aws/aws-cli#7194 and AWS re:Post knowledge-center article
	// iam-sts-invalididentitytoken: STS sends it when it cannot fetch the
	// discovery document or JWKS, and (by the same path) when the JWKS has
	// no key with the token's kid. AWS sends it with code
	// InvalidIdentityToken, not IDPCommunicationError; see
	// STS.SetKeyRetrievalErrorCode.
	MsgKeyRetrieval = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"

	// From real SDK logs (hashicorp/vault seal errors, LocalStack bug
	// reports) when the token is not a JWS at all.
	MsgNotAJWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"

	// AWS's documented description of InvalidIdentityToken (the STS API
	// model); used where no captured text was found: a signature that does
	// not verify, a token without exp, or one used before its nbf.
	MsgTokenNotValidated = "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token from the identity provider and then retry the request."

	// Format of "Token expired: current date/time 1740387458 must be before
	// the expiration date/time 1740319004" (envoyproxy/envoy test fixtures
	// copied from STS, and a real aws-sdk-go-v2 log); both are Unix seconds.
	msgTokenExpiredFormat = "Token expired: current date/time %d must be before the expiration date/time %d"

	// From AWS's STS regions documentation and SDK bug reports.
	msgRegionDisabledFormat = "STS is not activated in this region for account:%s. Your account administrator can activate STS in this region using the IAM Console."

	// From countless terraform/SDK logs of GetCallerIdentity (HTTP 403).
	MsgInvalidClientTokenID = "The security token included in the request is invalid."

	// From aws/aws-sdk-java-v2#1649 (STS, HTTP 403) and botocore logs.
	MsgExpiredToken = "The security token included in the request is expired"

	// AWS's text for an unsigned request to an API that needs a signature.
	MsgMissingAuthenticationToken = "Request is missing Authentication Token"

	// STS's throttling text.
	MsgRateExceeded = "Rate exceeded"

	// AWS's common-errors text for InternalFailure.
	MsgInternalFailure = "The request processing has failed because of an unknown error, exception or failure."

	// Real ValidationError texts for RoleArn: a value that is long enough
	// but not a role ARN (an OIDC provider or ACM certificate ARN pasted by
	// mistake, "role:" instead of "role/") gets "Request ARN is invalid";
	// constraint violations get the "1 validation error detected: ..." form
	// (both from SDK logs in IRSA bug reports).
	MsgRequestARNInvalid = "Request ARN is invalid"

	// Real STS text when DurationSeconds is above the role's maximum.
	MsgDurationExceedsMax = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."

	// Format of STS's answer to an unknown Action (or Version).
	msgInvalidActionFormat = "Could not find operation %s for version %s"
)

// apiError is an AWS query-protocol error: what STS puts in <ErrorResponse>.
type apiError struct {
	Status  int
	Type    string // "Sender" (the caller's fault) or "Receiver" (AWS's)
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
}

func senderError(status int, code, msg string) *apiError {
	return &apiError{Status: status, Type: "Sender", Code: code, Message: msg}
}

func errAccessDenied() *apiError {
	return senderError(http.StatusForbidden, CodeAccessDenied, MsgAccessDenied)
}

// MsgNoOIDCProvider is the text STS gives when the role's account has no
// OIDC provider for the token's issuer (iss, verbatim).
func MsgNoOIDCProvider(iss string) string { return msgNoOIDCProviderPrefix + iss }

func errNoOIDCProvider(iss string) *apiError {
	return senderError(http.StatusBadRequest, CodeInvalidIdentityToken, MsgNoOIDCProvider(iss))
}

func errIncorrectAudience() *apiError {
	return senderError(http.StatusBadRequest, CodeInvalidIdentityToken, MsgIncorrectAudience)
}

func errThumbprint() *apiError {
	return senderError(http.StatusBadRequest, CodeInvalidIdentityToken, MsgThumbprint)
}

func errKeyRetrieval(code string) *apiError {
	return senderError(http.StatusBadRequest, code, MsgKeyRetrieval)
}

func errNotAJWT() *apiError {
	return senderError(http.StatusBadRequest, CodeInvalidIdentityToken, MsgNotAJWT)
}

func errTokenNotValidated() *apiError {
	return senderError(http.StatusBadRequest, CodeInvalidIdentityToken, MsgTokenNotValidated)
}

// MsgTokenExpired is STS's text for an expired web identity token; now and
// exp are Unix seconds.
func MsgTokenExpired(now, exp int64) string { return fmt.Sprintf(msgTokenExpiredFormat, now, exp) }

func errTokenExpired(now, exp int64) *apiError {
	return senderError(http.StatusBadRequest, CodeExpiredTokenException, MsgTokenExpired(now, exp))
}

// MsgRegionDisabled is STS's text when STS is deactivated in the region.
func MsgRegionDisabled(account string) string { return fmt.Sprintf(msgRegionDisabledFormat, account) }

func errRegionDisabled(account string) *apiError {
	return senderError(http.StatusForbidden, CodeRegionDisabledException, MsgRegionDisabled(account))
}

func errInvalidClientTokenID() *apiError {
	return senderError(http.StatusForbidden, CodeInvalidClientTokenID, MsgInvalidClientTokenID)
}

// errExpiredToken is for expired credentials used to sign a request. STS
// answers 403 (aws-sdk-java-v2#1649 shows "Status Code: 403").
func errExpiredToken() *apiError {
	return senderError(http.StatusForbidden, CodeExpiredToken, MsgExpiredToken)
}

func errMissingAuthenticationToken() *apiError {
	return senderError(http.StatusForbidden, CodeMissingAuthenticationToken, MsgMissingAuthenticationToken)
}

func errThrottling() *apiError {
	return senderError(http.StatusBadRequest, CodeThrottling, MsgRateExceeded)
}

func errInternalFailure() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Type: "Receiver", Code: CodeInternalFailure, Message: MsgInternalFailure}
}

// MsgInvalidAction is STS's text for an Action it does not have.
func MsgInvalidAction(action, version string) string {
	return fmt.Sprintf(msgInvalidActionFormat, action, version)
}

func errInvalidAction(action, version string) *apiError {
	return senderError(http.StatusBadRequest, CodeInvalidAction, MsgInvalidAction(action, version))
}

func errValidation(msg string) *apiError {
	return senderError(http.StatusBadRequest, CodeValidationError, msg)
}

// validationErrors collects input constraint violations the way AWS reports
// them: "1 validation error detected: Value 'x' at 'roleArn' failed to
// satisfy constraint: Member must have length greater than or equal to 20",
// several joined by "; " under "N validation errors detected: ".
type validationErrors []string

// null records a missing required member.
func (v *validationErrors) null(member string) {
	*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
}

// violate records a member whose value breaks a constraint.
func (v *validationErrors) violate(value, member, constraint string) {
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

func (v validationErrors) err() *apiError {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return errValidation("1 validation error detected: " + v[0])
	default:
		return errValidation(fmt.Sprintf("%d validation errors detected: %s", len(v), strings.Join(v, "; ")))
	}
}
