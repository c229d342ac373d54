package finding

// The diagnosis catalog: every finding the probe can report, in one place.
// Detection lives with each step of package check (the STS error classes
// in its stserrors.go); what a finding says and how to fix it lives here.

// Finding codes. Stable: never rename one, only add.
const (
	CodeRoleARNMissing          Code = "role-arn-missing"
	CodeRoleARNMalformed        Code = "role-arn-malformed"
	CodeRegionMissing           Code = "region-missing"
	CodeTokenFileMissing        Code = "token-file-missing"
	CodeTokenFileUnreadable     Code = "token-file-unreadable"
	CodeTokenMalformed          Code = "token-malformed"
	CodeTokenLegacy             Code = "token-legacy"
	CodeTokenAudienceMismatch   Code = "token-audience-mismatch"
	CodeTokenExpired            Code = "token-expired"
	CodeTokenNotYetValid        Code = "token-not-yet-valid"
	CodeTokenExpiringSoon       Code = "token-expiring-soon"
	CodeServiceAccountMismatch  Code = "service-account-mismatch"
	CodeSTSAccessDenied         Code = "sts-access-denied"
	CodeTrustPolicyDenied       Code = "trust-policy-denied"
	CodeSTSInvalidIdentityToken Code = "sts-invalid-identity-token"
	CodeOIDCProviderMissing     Code = "oidc-provider-missing"
	CodeOIDCIssuerMismatch      Code = "oidc-provider-issuer-mismatch"
	CodeOIDCThumbprintMismatch  Code = "oidc-thumbprint-mismatch"
	CodeOIDCKeysUnreachable     Code = "oidc-keys-unreachable"
	CodeSTSRegionDisabled       Code = "sts-region-disabled"
	CodeSTSInvalidClientToken   Code = "sts-invalid-client-token"
	CodeSTSThrottled            Code = "sts-throttled"
	CodeSTSUnreachable          Code = "sts-unreachable"
	CodeSTSError                Code = "sts-error"
	CodeSTSEndpointInvalid      Code = "sts-endpoint-invalid"
	CodeWrongRole               Code = "wrong-role"
	CodeNodeRoleFallback        Code = "node-role-fallback"
)

const annotateFix = `Annotate the pod's service account with the role, then recreate the pods: the EKS pod identity webhook only mutates pods when they are created.
  kubectl annotate serviceaccount -n {{d .namespace "NAMESPACE"}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/role-arn={{d .expected_role_arn "arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME"}} --overwrite
  kubectl rollout restart -n {{d .namespace "NAMESPACE"}} deployment/DEPLOYMENT
Check that the webhook ran: kubectl get pod -n {{d .namespace "NAMESPACE"}} {{d .pod "POD"}} -o jsonpath='{.spec.containers[*].env}' must list AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE.`

var catalog = map[Code]entry{
	CodeRoleARNMissing: {
		Severity: SeverityError,
		Title:    "AWS_ROLE_ARN or AWS_WEB_IDENTITY_TOKEN_FILE is not set: the webhook did not inject IRSA",
		Detected: "environment",
		Message:  `This container has no {{d .env_var "AWS_ROLE_ARN"}}, so the AWS SDK cannot use IRSA and falls through to the next credentials in its chain (usually the node's instance role).`,
		Fix:      annotateFix,
	},
	CodeRoleARNMalformed: {
		Severity: SeverityError,
		Title:    "the role ARN does not parse, has the wrong partition for the region, or a bad account",
		Detected: "environment",
		Message:  `{{d .env_var "AWS_ROLE_ARN"}}={{.value}} is not a valid IAM role ARN: {{.detail}}.`,
		Fix: `Use an ARN of the form arn:PARTITION:iam::ACCOUNT_ID:role/ROLE_NAME (PARTITION aws, aws-cn or aws-us-gov matching the region{{if .region}} {{.region}}{{end}}; ACCOUNT_ID 12 digits):
  aws iam get-role --role-name ROLE_NAME --query Role.Arn --output text
  kubectl annotate serviceaccount -n {{d .namespace "NAMESPACE"}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/role-arn=ARN --overwrite`,
	},
	CodeRegionMissing: {
		Severity: SeverityError,
		Title:    "no AWS region: the SDK cannot pick an STS endpoint",
		Detected: "environment",
		Message:  `Neither AWS_REGION nor AWS_DEFAULT_REGION is set{{if .detail}} ({{.detail}}){{end}}; the AWS SDKs fail with "Missing Region" or use the global STS endpoint.`,
		Fix: `Set the cluster's region in the container (the EKS webhook sets both on current versions):
  env: [{name: AWS_REGION, value: {{d .region "us-west-2"}}}, {name: AWS_STS_REGIONAL_ENDPOINTS, value: regional}]
China (aws-cn) and GovCloud roles need their own region set explicitly: the global endpoint does not serve them.`,
	},
	CodeTokenFileMissing: {
		Severity: SeverityError,
		Title:    "AWS_WEB_IDENTITY_TOKEN_FILE points at a file that does not exist",
		Detected: "token file",
		Message:  `The token file {{.token_file}} does not exist: the projected aws-iam-token volume is not mounted in this container.`,
		Fix: `The webhook adds the aws-iam-token volume and its mount when it mutates the pod. It was skipped for this container, or the spec was written by hand:
  kubectl get pod -n {{d .namespace "NAMESPACE"}} {{d .pod "POD"}} -o jsonpath='{.metadata.annotations.eks\.amazonaws\.com/skip-containers}'
  kubectl get pod -n {{d .namespace "NAMESPACE"}} {{d .pod "POD"}} -o jsonpath='{.spec.volumes[?(@.name=="aws-iam-token")]}'
Remove this container from eks.amazonaws.com/skip-containers, or mount a projected serviceAccountToken volume (audience sts.amazonaws.com) at {{.token_file}}'s directory, then recreate the pod.`,
	},
	CodeTokenFileUnreadable: {
		Severity: SeverityError,
		Title:    "the token file exists but this process may not read it",
		Detected: "token file",
		Message:  `The token file {{.token_file}} cannot be read by this process ({{.detail}}): mode {{d .file_mode "unknown"}}, owner {{d .file_owner "unknown"}}, process {{d .process_user "unknown"}}.`,
		Fix: `Let the pod's group read the projected token, not root: set the pod's fsGroup to the group the container runs as, e.g.
  kubectl patch deployment DEPLOYMENT -n {{d .namespace "NAMESPACE"}} --type merge -p '{"spec":{"template":{"spec":{"securityContext":{"fsGroup":{{d .fs_group "65532"}}}}}}}'
(the EKS webhook sets fsGroup only when the pod has none; a runAsUser without fsGroup leaves the token 0600 root-owned on older kubelets).`,
	},
	CodeTokenMalformed: {
		Severity: SeverityError,
		Title:    "the token file does not hold a JWT",
		Detected: "token file",
		Message:  `The token in {{.token_file}} is not a valid JWT: {{.detail}}.`,
		Fix: `The file must hold one projected service-account token (header.payload.signature). Check that AWS_WEB_IDENTITY_TOKEN_FILE names the projected token, not a directory, a config file or a hand-copied value:
  kubectl get pod -n {{d .namespace "NAMESPACE"}} {{d .pod "POD"}} -o jsonpath='{.spec.volumes[?(@.name=="aws-iam-token")].projected}'`,
	},
	CodeTokenLegacy: {
		Severity: SeverityError,
		Title:    "a legacy Secret-based service-account token is mounted instead of a projected one",
		Detected: "token claims",
		Message:  `The token in {{.token_file}} is a legacy service-account token (iss {{d .issuer "kubernetes/serviceaccount"}}, no aud, no exp). STS only accepts projected tokens issued for audience sts.amazonaws.com.`,
		Fix: `Mount a projected token instead of the service account's Secret:
  volumes: [{name: aws-iam-token, projected: {sources: [{serviceAccountToken: {audience: sts.amazonaws.com, expirationSeconds: 86400, path: token}}]}}]
and point AWS_WEB_IDENTITY_TOKEN_FILE at it (the EKS webhook does both when the service account is annotated).`,
	},
	CodeTokenAudienceMismatch: {
		Severity: SeverityError,
		Title:    "the token's audience is not the one STS or the OIDC provider expects",
		Detected: "token claims, or STS InvalidIdentityToken: Incorrect token audience",
		Message:  `The token's audience is {{d .aud "(none)"}}, but {{d .expected_aud "sts.amazonaws.com"}} is expected{{if .error_code}} (STS said {{.error_code}}: {{.error_message}}){{end}}.`,
		Fix: `Either issue the token for {{d .expected_aud "sts.amazonaws.com"}}: remove or correct the audience annotation and recreate the pods,
  kubectl annotate serviceaccount -n {{d .namespace "NAMESPACE"}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/audience-
or accept the token's audience on the IAM OIDC provider:
  aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {{oidcProviderARN .}} --client-id {{d .aud "AUDIENCE"}}`,
	},
	CodeTokenExpired: {
		Severity: SeverityError,
		Title:    "the token has expired",
		Detected: "token claims, or STS ExpiredTokenException",
		Message:  `The token expired at {{.exp}}; it is now {{.now}}{{if .clock_skew}} (clock skew seen: {{.clock_skew}}){{end}}{{if .error_code}} (STS said {{.error_code}}: {{.error_message}}){{end}}.`,
		Fix: `kubelet rewrites a projected token when 80% of its lifetime has passed (or after 24 h) and the SDKs re-read the file; an expired token means the file is not the projected volume, kubelet cannot refresh it, or the node's clock is wrong:
  kubectl get pod -n {{d .namespace "NAMESPACE"}} {{d .pod "POD"}} -o jsonpath='{.spec.volumes[?(@.name=="aws-iam-token")]}'
  kubectl get events -n {{d .namespace "NAMESPACE"}} --field-selector involvedObject.name={{d .pod "POD"}}
  (on the node) chronyc tracking`,
	},
	CodeTokenNotYetValid: {
		Severity: SeverityError,
		Title:    "the token's nbf or iat is in the future: a clock is wrong",
		Detected: "token claims",
		Message:  `The token is not valid until {{d .nbf .iat}}, but this container's clock says {{.now}} (skew {{.clock_skew}}).`,
		Fix: `The node's clock and the API server's disagree; STS will reject the token too. Check time sync on the node:
  (on the node) chronyc tracking; timedatectl status`,
	},
	CodeTokenExpiringSoon: {
		Severity: SeverityWarning,
		Title:    "the token expires soon and has not been rotated",
		Detected: "token claims",
		Message:  `The token expires at {{.exp}}, in {{.time_left}}: kubelet should already have rotated it (it does at 80% of the lifetime).`,
		Fix: `If this persists, kubelet is not refreshing the projected volume on this node:
  kubectl get events -n {{d .namespace "NAMESPACE"}} --field-selector involvedObject.name={{d .pod "POD"}}`,
	},
	CodeServiceAccountMismatch: {
		Severity: SeverityError,
		Title:    "the pod runs as another service account than expected",
		Detected: "token sub vs IRSA_PROBE_EXPECT_SERVICE_ACCOUNT",
		Message:  `The token is for {{.sub}}, but the pod is expected to run as service account {{.expected_service_account}}.`,
		Fix: `Set the pod's serviceAccountName, then recreate the pods:
  kubectl patch deployment DEPLOYMENT -n {{d .namespace "NAMESPACE"}} --type merge -p '{"spec":{"template":{"spec":{"serviceAccountName":"{{saName .expected_service_account}}"}}}}'`,
	},
	CodeSTSAccessDenied: {
		Severity: SeverityError,
		Title:    "STS denied the call (AccessDenied) for a reason other than the trust policy",
		Detected: "STS AccessDenied",
		Message:  `STS denied {{d .detail "the call"}}: {{.error_code}}: {{.error_message}} (request id {{.request_id}}).`,
		Fix: `Check for service control policies or permission boundaries on account {{d .account "ACCOUNT_ID"}}:
  aws organizations list-policies-for-target --target-id {{d .account "ACCOUNT_ID"}} --filter SERVICE_CONTROL_POLICY
  aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRoleWithWebIdentity --max-results 5`,
	},
	CodeTrustPolicyDenied: {
		Severity: SeverityError,
		Title:    "the role's trust policy does not allow this service account's token",
		Detected: "STS AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
		Message:  `STS refused to let {{d .sub "this service account"}} (issuer {{d .issuer "unknown"}}) assume {{.role_arn}}: {{.error_code}}: {{.error_message}} (request id {{.request_id}}).`,
		Fix: `Replace the role's trust policy with one that trusts this cluster's OIDC provider for this service account:
  cat > trust-policy.json <<'JSON'
{{trustPolicy .}}
JSON
  aws iam update-assume-role-policy --role-name {{roleName .role_arn}} --policy-document file://trust-policy.json
Usual mistakes: "https://" in the condition keys, a provider of another cluster (oidc.REGION.eks.amazonaws.com/id/ID must be this cluster's), the sub in the :aud key, a wrong namespace or service account name. Print this policy any time with: irsa-probe trust-policy`,
	},
	CodeSTSInvalidIdentityToken: {
		Severity: SeverityError,
		Title:    "STS rejected the token (InvalidIdentityToken) for a reason not listed above",
		Detected: "STS InvalidIdentityToken",
		Message:  `STS rejected the token: {{.error_code}}: {{.error_message}} (request id {{.request_id}}).{{if .signature}} Local signature check: {{.signature}}.{{end}}`,
		Fix: `If the signing key was rotated (the token's key id is not in the issuer's JWKS), the pod holds a token signed by a retired key: recreate the pod so kubelet requests a new one; if new tokens fail too, the API server signs with a key it does not publish.
  kubectl delete pod -n {{d .namespace "NAMESPACE"}} {{d .pod "POD"}}
  curl -fsS {{d .issuer "ISSUER"}}/keys
Otherwise compare the token's issuer {{d .issuer "ISSUER"}} with the account's OIDC providers and the cluster:
  aws iam list-open-id-connect-providers
  aws eks describe-cluster --name CLUSTER --query cluster.identity.oidc.issuer --output text`,
	},
	CodeOIDCProviderMissing: {
		Severity: SeverityError,
		Title:    "the account has no IAM OIDC provider for the cluster's issuer",
		Detected: "STS InvalidIdentityToken: No OpenIDConnect provider found in your account for ISSUER",
		Message:  `Account {{d .account "ACCOUNT_ID"}} has no IAM OIDC provider for issuer {{d .sts_issuer .issuer}} (request id {{.request_id}}).`,
		Fix: `Create the provider for this cluster's issuer, with eksctl:
  eksctl utils associate-iam-oidc-provider --cluster CLUSTER --region {{d .region "REGION"}} --approve
or with the AWS CLI:
  aws iam create-open-id-connect-provider --url {{d .issuer "ISSUER"}} --client-id-list sts.amazonaws.com`,
	},
	CodeOIDCIssuerMismatch: {
		Severity: SeverityError,
		Title:    "STS looked up another issuer than the token's",
		Detected: "the issuer in STS's message differs from the token's iss",
		Message:  `STS looked for an OIDC provider for {{.sts_issuer}}, but the token's issuer is {{.issuer}} (request id {{.request_id}}).`,
		Fix: `The role or provider belongs to another cluster or region. Create a provider for this cluster's issuer and trust it in the role:
  aws iam create-open-id-connect-provider --url {{d .issuer "ISSUER"}} --client-id-list sts.amazonaws.com
  irsa-probe trust-policy > trust-policy.json && aws iam update-assume-role-policy --role-name {{roleName .role_arn}} --policy-document file://trust-policy.json`,
	},
	CodeOIDCThumbprintMismatch: {
		Severity: SeverityError,
		Title:    "the OIDC provider's TLS thumbprint is stale",
		Detected: "STS InvalidIdentityToken: …HTTPS certificate doesn't match configured thumbprint",
		Message:  `STS could not trust the issuer {{d .issuer "ISSUER"}}: {{.error_message}} (request id {{.request_id}}).`,
		Fix: `Refresh the thumbprint of the provider's top intermediate CA:
  openssl s_client -servername {{issuerHost .issuer}} -showcerts -connect {{issuerHost .issuer}}:443 </dev/null
  aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn {{oidcProviderARN .}} --thumbprint-list THUMBPRINT`,
	},
	CodeOIDCKeysUnreachable: {
		Severity: SeverityError,
		Title:    "STS (or, with IRSA_PROBE_VERIFY_SIGNATURE=always, the pod) could not fetch the issuer's discovery document or keys",
		Detected: "STS InvalidIdentityToken: Couldn't retrieve verification key…, or IDPCommunicationError",
		Message:  `{{d .fetched_by "STS"}} could not fetch the signing keys of {{d .issuer "ISSUER"}}{{if .fetched_by}} ({{.signature}}){{end}}{{if .error_code}}: {{.error_code}}: {{.error_message}} (request id {{.request_id}}){{end}}.`,
		Fix: `The issuer's discovery document and JWKS must be reachable from the internet (self-managed clusters: publish them, e.g. on S3 or CloudFront):
  curl -fsS {{d .issuer "ISSUER"}}/.well-known/openid-configuration
  curl -fsS {{d .issuer "ISSUER"}}/keys`,
	},
	CodeSTSRegionDisabled: {
		Severity: SeverityError,
		Title:    "STS is not activated in this region for the account",
		Detected: "STS RegionDisabledException",
		Message:  `STS is not active in {{d .region "this region"}} for account {{d .account "ACCOUNT_ID"}}: {{.error_message}} (request id {{.request_id}}).`,
		Fix: `Activate the region's STS endpoint (IAM console → Account settings → Security Token Service endpoints), or, for an opt-in region, enable the region:
  aws account enable-region --region-name {{d .region "REGION"}}`,
	},
	CodeSTSInvalidClientToken: {
		Severity: SeverityError,
		Title:    "STS does not know the credentials: region, partition or endpoint mismatch",
		Detected: "STS InvalidClientTokenId",
		Message:  `STS at {{d .endpoint "the default endpoint"}} rejected the credentials: {{.error_code}}: {{.error_message}} (request id {{.request_id}}).`,
		Fix: `The region, partition and endpoint must agree with the role {{d .role_arn "ROLE_ARN"}}: aws-cn roles need a cn-* region, aws-us-gov roles a us-gov-* region, and AWS_STS_REGIONAL_ENDPOINTS=regional:
  kubectl set env deployment/DEPLOYMENT -n {{d .namespace "NAMESPACE"}} AWS_REGION={{d .region "REGION"}} AWS_STS_REGIONAL_ENDPOINTS=regional`,
	},
	CodeSTSThrottled: {
		Severity: SeverityUndecided,
		Title:    "STS throttled every try until the deadline",
		Detected: "STS Throttling / Rate exceeded, after retries",
		Message:  `STS throttled the probe until its deadline ({{.error_code}}: {{.error_message}}, request id {{.request_id}}); the identity was not decided.`,
		Fix:      `The probe backed off and gave up; this is not a broken identity. Lower the STS call rate in account {{d .account "ACCOUNT_ID"}} (many pods starting at once, short refresh periods) or raise IRSA_PROBE_TIMEOUT.`,
	},
	CodeSTSUnreachable: {
		Severity: SeverityUndecided,
		Title:    "STS (or IMDS) could not be reached before the deadline",
		Detected: "DNS, TCP, TLS, HTTP or timeout errors, after retries",
		Message:  `Could not reach {{d .endpoint "STS"}} ({{d .layer "network"}} failed: {{.detail}}){{if .proxy}}; proxy in effect: {{.proxy}}{{end}}.`,
		Fix: `Check egress to the endpoint from this pod (network policies, security groups, VPC endpoint for STS, proxy settings):
  kubectl exec -n {{d .namespace "NAMESPACE"}} {{d .pod "POD"}} -- nslookup {{endpointHost .endpoint}}
  aws ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws.{{d .region "REGION"}}.sts
Set NO_PROXY to include {{endpointHost .endpoint}} if a proxy must not be used for it.`,
	},
	CodeSTSError: {
		Severity: SeverityError,
		Title:    "STS returned an error the catalog does not name",
		Detected: "any other STS error",
		Message:  `STS returned {{.error_code}}: {{.error_message}} (request id {{.request_id}}).`,
		Fix: `Look the request up in CloudTrail and the error code in the STS API reference:
  aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRoleWithWebIdentity --max-results 5`,
	},
	CodeSTSEndpointInvalid: {
		Severity: SeverityError,
		Title:    "the STS endpoint is malformed, redirects, or answers as something other than STS",
		Detected: "AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, or an answer STS never gives (a redirect, a body over 1 MiB, a 200 without STS's XML)",
		Message:  `{{d .endpoint "The STS endpoint"}} is not a usable STS endpoint: {{.detail}}.`,
		Fix: `STS is https://sts.REGION.amazonaws.com, or the DNS name of an STS interface VPC endpoint; retrying does not help. Check the endpoint overrides in this container and any proxy between the pod and STS:
  kubectl get pod -n {{d .namespace "NAMESPACE"}} {{d .pod "POD"}} -o jsonpath='{.spec.containers[*].env}'
Point the override at the region's endpoint, or remove it:
  kubectl set env deployment/DEPLOYMENT -n {{d .namespace "NAMESPACE"}} AWS_ENDPOINT_URL_STS={{stsEndpoint .region}}`,
	},
	CodeWrongRole: {
		Severity: SeverityError,
		Title:    "the pod ends up with another role than expected",
		Detected: "GetCallerIdentity ARN vs the expected role",
		Message:  `The pod's identity is {{.caller_arn}}, but {{.expected_role_arn}} is expected.`,
		Fix: `Point the service account at the expected role and recreate the pods:
  kubectl annotate serviceaccount -n {{d .namespace "NAMESPACE"}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/role-arn={{.expected_role_arn}} --overwrite
  kubectl rollout restart -n {{d .namespace "NAMESPACE"}} deployment/DEPLOYMENT`,
	},
	CodeNodeRoleFallback: {
		Severity: SeverityError,
		Title:    "the SDK's default credential chain does not resolve to the IRSA role",
		Detected: "default chain GetCallerIdentity",
		Message:  `An application using the AWS SDK's default credential chain in this container gets {{d .caller_arn "no identity"}} (from {{d .credential_source "an unknown source"}}), not {{d .expected_role_arn "the IRSA role"}}.{{if .error_code}} Those credentials fail: {{.error_code}}: {{.error_message}}.{{end}}`,
		Fix: `If AWS_ROLE_ARN is missing, annotate the service account and recreate the pods (see role-arn-missing). If it is set, something earlier in the chain wins: remove AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and AWS_PROFILE from the container, and make sure the application's SDK supports web identity (see the README's minimum SDK versions).
Block the node role from pods: require IMDSv2 with hop limit 1 on the nodes:
  aws ec2 modify-instance-metadata-options --instance-id INSTANCE_ID --http-tokens required --http-put-response-hop-limit 1`,
	},
}
