package ststest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// tokenAlgorithms are the JWS algorithms STS accepts for OIDC tokens.
var tokenAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
}

// tokenClaims are the claims STS looks at.
type tokenClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
}

// formValue is a form value and whether it was sent at all.
func formValue(form url.Values, key string) (string, bool) {
	v, ok := form[key]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// assumeRoleWithWebIdentity checks a request in the order STS does (input
// constraints, the token's form, the OIDC provider, the audience, the keys,
// the signature, the lifetime, then the role's trust policy) and issues
// credentials. note explains the decision for Requests.
func (s *STS) assumeRoleWithWebIdentity(r *http.Request, form url.Values) (*assumeRoleWithWebIdentityResult, string, *apiError) {
	roleARNString, hasRole := formValue(form, "RoleArn")
	sessionName, hasSession := formValue(form, "RoleSessionName")
	token, hasToken := formValue(form, "WebIdentityToken")
	durationString, hasDuration := formValue(form, "DurationSeconds")

	var v validationErrors
	switch {
	case !hasRole:
		v.null("roleArn")
	case len(roleARNString) < 20:
		v.violate(roleARNString, "roleArn", "Member must have length greater than or equal to 20")
	case len(roleARNString) > 2048:
		v.violate(roleARNString, "roleArn", "Member must have length less than or equal to 2048")
	}
	switch {
	case !hasSession:
		v.null("roleSessionName")
	case len(sessionName) < 2:
		v.violate(sessionName, "roleSessionName", "Member must have length greater than or equal to 2")
	case len(sessionName) > 64:
		v.violate(sessionName, "roleSessionName", "Member must have length less than or equal to 64")
	case !sessionNameRE.MatchString(sessionName):
		v.violate(sessionName, "roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	// The token is a sensitive member: AWS does not echo its value.
	switch {
	case !hasToken:
		v.null("webIdentityToken")
	case len(token) < 4:
		v = append(v, "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4")
	case len(token) > 20000:
		v = append(v, "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000")
	}
	duration := time.Hour
	if hasDuration {
		n, err := strconv.Atoi(durationString)
		switch {
		case err != nil || n < 900:
			v.violate(durationString, "durationSeconds", "Member must have value greater than or equal to 900")
		case n > 43200:
			v.violate(durationString, "durationSeconds", "Member must have value less than or equal to 43200")
		default:
			duration = time.Duration(n) * time.Second
		}
	}
	if e := v.err(); e != nil {
		return nil, "", e
	}
	arn, ok := parseRoleARN(roleARNString)
	if !ok {
		return nil, "", errValidation(MsgRequestARNInvalid)
	}

	s.mu.Lock()
	disabled := s.regionDisabled
	s.mu.Unlock()
	if disabled {
		return nil, "", errRegionDisabled(arn.account)
	}

	tok, err := jwt.ParseSigned(token, tokenAlgorithms)
	if err != nil {
		return nil, "token does not parse: " + err.Error(), errNotAJWT()
	}
	var claims tokenClaims
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return nil, "claims do not parse: " + err.Error(), errNotAJWT()
	}

	// The provider must be in the role's account; the message names the
	// token's iss even when the account has providers for other issuers.
	prov, ok := s.provider(arn.account, claims.Issuer)
	if !ok {
		return nil, "", errNoOIDCProvider(claims.Issuer)
	}

	// IAM's aud condition key is the audience that matched the provider's
	// client ids, so a multi-audience token still has one aud for IAM.
	audience := ""
	for _, a := range claims.Audience {
		if contains(prov.ClientIDs, a) {
			audience = a
			break
		}
	}
	if audience == "" {
		return nil, "", errIncorrectAudience()
	}

	keys, e := s.providerKeys(r.Context(), prov)
	if e != nil {
		return nil, "could not get the provider's keys", e
	}
	kid := tok.Headers[0].KeyID
	candidates := keys.Keys
	if kid != "" {
		candidates = keys.Key(kid)
	}
	if len(candidates) == 0 {
		s.mu.Lock()
		code := s.keyErrCode
		s.mu.Unlock()
		return nil, "no key with kid " + strconv.Quote(kid) + " in the provider's JWKS", errKeyRetrieval(code)
	}
	verified := false
	for _, k := range candidates {
		var out tokenClaims
		if err := tok.Claims(k.Key, &out); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, "signature does not verify", errTokenNotValidated()
	}

	now := s.clock()
	if claims.Expiry == nil {
		return nil, "token has no exp", errTokenNotValidated()
	}
	if exp := claims.Expiry.Time(); !now.Before(exp) {
		return nil, "", errTokenExpired(now.Unix(), exp.Unix())
	}
	if claims.NotBefore != nil && now.Before(claims.NotBefore.Time()) {
		return nil, "token used before its nbf", errTokenNotValidated()
	}

	s.mu.Lock()
	rl := s.roles[roleARNString]
	var policy *trustPolicy
	var roleID string
	var maxSession time.Duration
	if rl != nil {
		policy, roleID, maxSession = rl.policy, rl.id, rl.maxSession
	}
	s.mu.Unlock()
	if rl == nil {
		return nil, "role does not exist", errAccessDenied()
	}
	hp := IssuerHostPath(prov.URL)
	allowed, why := policy.evaluate(trustRequest{
		federated: prov.ARN(),
		action:    actionAssumeRoleWithWebIdentity,
		context: map[string][]string{
			strings.ToLower(hp + ":sub"): {claims.Subject},
			strings.ToLower(hp + ":aud"): {audience},
		},
	})
	if !allowed {
		return nil, why, errAccessDenied()
	}
	if duration > maxSession {
		return nil, why, errValidation(MsgDurationExceedsMax)
	}

	sess := newRoleSession(arn, roleID, sessionName, now.Add(duration))
	s.addSession(sess)
	return &assumeRoleWithWebIdentityResult{
		SubjectFromWebIdentityToken: claims.Subject,
		Audience:                    audience,
		AssumedRoleUser:             xmlAssumedRoleUser{Arn: sess.arn, AssumedRoleID: sess.userID},
		Credentials: xmlCredentials{
			AccessKeyID:     sess.accessKeyID,
			SecretAccessKey: sess.secret,
			SessionToken:    sess.sessionToken,
			Expiration:      formatAWSTime(sess.expires),
		},
		Provider: prov.ARN(),
	}, why, nil
}
