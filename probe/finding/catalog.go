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

	// EKS Pod Identity (detected in package check's step_podidentity.go
	// and podidentity_errors.go).
	CodePodIdentityEndpointInvalid    Code = "pod-identity-endpoint-invalid"
	CodePodIdentityAgentUnreachable   Code = "pod-identity-agent-unreachable"
	CodePodIdentityProxy              Code = "pod-identity-proxy"
	CodePodIdentityDenied             Code = "pod-identity-denied"
	CodePodIdentityAssociationMissing Code = "pod-identity-association-missing"
	CodePodIdentityAgentError         Code = "pod-identity-agent-error"
	CodePodIdentityThrottled          Code = "pod-identity-throttled"
	CodeIdentityMechanismConflict     Code = "identity-mechanism-conflict"

	// Failure modes a new user meets first: a wrong partition, credentials
	// that shadow the role, a misconfigured provider or endpoint, a skewed clock.
	CodePartitionMismatch       Code = "partition-mismatch"
	CodeStaticCredentialsShadow Code = "static-credentials-shadow"
	CodeOIDCClientIDMismatch    Code = "oidc-provider-client-id-mismatch"
	CodeSessionNameInvalid      Code = "sts-session-name-invalid"
	CodeSTSGlobalEndpoint       Code = "sts-global-endpoint"
	CodeClockSkew               Code = "clock-skew"
	CodeOIDCDiscoveryInvalid    Code = "oidc-discovery-invalid"
)

// SDKOrder is which credentials the SDKs try first when a container has
// both mechanisms' variables, as their sources say; the migration plan
// reuses it.
const SDKOrder = "aws-sdk-go-v2 (config/resolve_credentials.go) and botocore, so Python and the AWS CLI (credentials.py, create_credential_resolver), try web identity (IRSA) before container credentials"

const annotateFix = `{{if .mechanism "none"}}Give the pod an IAM role in one of EKS's two ways, then recreate the pods (the EKS pod identity webhook only mutates pods when they are created).
EKS Pod Identity (recommended for new workloads; needs the eks-pod-identity-agent add-on):
  {{associationCommand .}}
IRSA (needs the cluster's IAM OIDC provider):
  kubectl annotate serviceaccount {{nsFlag .}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/role-arn={{d .expected_role_arn "arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME"}} --overwrite
Then:
  {{restart .}}
Check that the webhook ran: the new pod's environment must list AWS_CONTAINER_CREDENTIALS_FULL_URI (Pod Identity) or AWS_ROLE_ARN (IRSA):
  kubectl get pods {{nsFlag .}} -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.containers[*].env[*].name}{"\n"}{end}'{{else}}Annotate the pod's service account with the role, then recreate the pods: the EKS pod identity webhook only mutates pods when they are created.
  kubectl annotate serviceaccount {{nsFlag .}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/role-arn={{d .expected_role_arn "arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME"}} --overwrite
  {{restart .}}
Check that the webhook ran: the new pod's environment must list AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE:
  kubectl get pods {{nsFlag .}} -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.containers[*].env[*].name}{"\n"}{end}'{{end}}`

var catalog = map[Code]entry{
	CodeRoleARNMissing: {
		Severity: SeverityError,
		Title:    "AWS_ROLE_ARN or AWS_WEB_IDENTITY_TOKEN_FILE is not set: the webhook did not inject IRSA",
		Detected: "environment",
		Message:  `{{if .mechanism "none"}}This container has neither IRSA's AWS_ROLE_ARN nor EKS Pod Identity's AWS_CONTAINER_CREDENTIALS_FULL_URI, so the AWS SDK falls through to the next credentials in its chain (usually the node's instance role).{{else}}This container has no {{d .env_var "AWS_ROLE_ARN"}}, so the AWS SDK cannot use IRSA and falls through to the next credentials in its chain (usually the node's instance role).{{end}}`,
		Fix:      annotateFix,
	},
	CodeRoleARNMalformed: {
		Severity: SeverityError,
		Title:    "the role ARN does not parse or has a bad account",
		Detected: "environment",
		Message:  `{{d .env_var "AWS_ROLE_ARN"}}={{.value}} is not a valid IAM role ARN: {{.detail}}.`,
		Fix: `Use an ARN of the form arn:{{d .partition "aws"}}:iam::ACCOUNT_ID:role/ROLE_NAME (ACCOUNT_ID 12 digits). Ask IAM for the role's ARN and annotate the service account with it, then recreate the pods:
  kubectl annotate serviceaccount {{nsFlag .}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/role-arn="$(aws iam get-role --role-name {{roleNameGuess .value}} --query Role.Arn --output text)" --overwrite
  {{restart .}}`,
	},
	CodeRegionMissing: {
		Severity: SeverityError,
		Title:    "no AWS region: the SDK cannot pick an STS endpoint",
		Detected: "environment",
		Message:  `Neither AWS_REGION nor AWS_DEFAULT_REGION is set{{if .detail}} ({{.detail}}){{end}}; the AWS SDKs fail with "Missing Region" or use the global STS endpoint.`,
		Fix: `Set the cluster's region in the container (the EKS webhook sets both on current versions){{if .region_from}}; {{.region_from}}{{end}}:
  kubectl set env {{workload .}} {{nsFlag .}} AWS_REGION={{suggestRegion .}} AWS_STS_REGIONAL_ENDPOINTS=regional
China (aws-cn) and GovCloud roles need their own region set explicitly: the global endpoint does not serve them.`,
	},
	CodeTokenFileMissing: {
		Severity: SeverityError,
		Title:    "AWS_WEB_IDENTITY_TOKEN_FILE points at a file that does not exist",
		Detected: "token file",
		Message:  `The token file {{d .token_file "(not set)"}} does not exist: the projected {{d .token_volume "aws-iam-token"}} volume is not mounted in this container.`,
		Fix: `The webhook adds the {{d .token_volume "aws-iam-token"}} volume and its mount when it mutates the pod. It was skipped for this container, or the spec was written by hand:
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.metadata.annotations.eks\.amazonaws\.com/skip-containers}'
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.spec.volumes[?(@.name=="{{d .token_volume "aws-iam-token"}}")]}'
Remove this container from eks.amazonaws.com/skip-containers, or mount a projected serviceAccountToken volume (audience {{d .expected_aud "sts.amazonaws.com"}}) at {{d .token_file "the token file"}}'s directory, then recreate the pod.`,
	},
	CodeTokenFileUnreadable: {
		Severity: SeverityError,
		Title:    "the token file exists but this process may not read it",
		Detected: "token file",
		Message:  `The token file {{.token_file}} cannot be read by this process ({{.detail}}): mode {{d .file_mode "unknown"}}, owner {{d .file_owner "unknown"}}, process {{d .process_user "unknown"}}.`,
		Fix: `Let the pod's group read the projected token, not root: set the pod's fsGroup to the group the container runs as, e.g.
  kubectl patch {{workload .}} {{nsFlag .}} --type merge -p '{"spec":{"template":{"spec":{"securityContext":{"fsGroup":{{gid .fs_group}}}}}}}'
(the EKS webhook sets fsGroup only when the pod has none; a runAsUser without fsGroup leaves the token 0600 root-owned on older kubelets).`,
	},
	CodeTokenMalformed: {
		Severity: SeverityError,
		Title:    "the token file does not hold a JWT",
		Detected: "token file",
		Message:  `The token in {{.token_file}} is not a valid JWT: {{.detail}}.`,
		Fix: `The file must hold one projected service-account token (header.payload.signature). Check that {{d .token_env "AWS_WEB_IDENTITY_TOKEN_FILE"}} names the projected token, not a directory, a config file or a hand-copied value:
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.spec.volumes[?(@.name=="{{d .token_volume "aws-iam-token"}}")].projected}'`,
	},
	CodeTokenLegacy: {
		Severity: SeverityError,
		Title:    "a legacy Secret-based service-account token is mounted instead of a projected one",
		Detected: "token claims",
		Message:  `The token in {{.token_file}} is a legacy service-account token (iss {{d .issuer "kubernetes/serviceaccount"}}, no aud, no exp). {{if .mechanism "pod-identity"}}EKS Auth{{else}}STS{{end}} only accepts projected tokens issued for audience {{d .expected_aud "sts.amazonaws.com"}}.`,
		Fix: `Mount a projected token instead of the service account's Secret. The EKS webhook does it when {{if .mechanism "pod-identity"}}the service account has a Pod Identity association{{else}}the service account is annotated{{end}}: remove the hand-written volume and {{d .token_env "AWS_WEB_IDENTITY_TOKEN_FILE"}} from the pod spec (a hand-written one must be a projected serviceAccountToken with audience {{d .expected_aud "sts.amazonaws.com"}}), then recreate the pods. See what is mounted:
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.spec.volumes}'
  {{restart .}}`,
	},
	CodeTokenAudienceMismatch: {
		Severity: SeverityError,
		Title:    "the token's audience is not the one STS or the OIDC provider expects",
		Detected: "token aud claim vs the expected audience (STS InvalidIdentityToken: Incorrect token audience confirms it)",
		Message:  `The token's audience is {{d .aud "(none)"}}, but {{d .expected_aud "sts.amazonaws.com"}} is expected{{if .error_code}} ({{answerer .mechanism}} said {{.error_code}}: {{.error_message}}){{end}}.`,
		Fix: `{{if .mechanism "pod-identity"}}The EKS pod identity webhook projects the token with audience pods.eks.amazonaws.com; a hand-written volume must too. Remove it from the pod spec (the webhook adds its own) or set its audience, then recreate the pods:
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.spec.volumes[?(@.name=="eks-pod-identity-token")].projected}'{{else}}Either issue the token for {{d .expected_aud "sts.amazonaws.com"}}: remove or correct the audience annotation and recreate the pods,
  kubectl annotate serviceaccount {{nsFlag .}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/audience-
or accept the token's audience on the IAM OIDC provider:
  aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {{oidcProviderARN .}} --client-id {{d .aud "AUDIENCE"}}{{end}}`,
	},
	CodeTokenExpired: {
		Severity: SeverityError,
		Title:    "the token has expired",
		Detected: "token claims, or STS ExpiredTokenException",
		Message:  `The token expired at {{.exp}}; it is now {{.now}}{{if .clock_skew}} (clock skew seen: {{.clock_skew}}){{end}}{{if .error_code}} ({{answerer .mechanism}} said {{.error_code}}: {{.error_message}}){{end}}.`,
		Fix: `kubelet rewrites a projected token when 80% of its lifetime has passed (or after 24 h) and the SDKs re-read the file; an expired token means the file is not the projected volume, kubelet cannot refresh it, or the node's clock is wrong:
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.spec.volumes[?(@.name=="{{d .token_volume "aws-iam-token"}}")]}'
  kubectl get events {{nsFlag .}} --field-selector involvedObject.name={{d .pod "POD"}}
On the node:
  chronyc tracking`,
	},
	CodeTokenNotYetValid: {
		Severity: SeverityError,
		Title:    "the token's nbf or iat is in the future: a clock is wrong",
		Detected: "token claims",
		Message:  `The token is not valid until {{d .nbf .iat}}, but this container's clock says {{.now}} (skew {{.clock_skew}}).`,
		Fix: `The node's clock and the API server's disagree; STS will reject the token too. Check time sync on the node (kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o wide names it):
  chronyc tracking
  timedatectl status`,
	},
	CodeTokenExpiringSoon: {
		Severity: SeverityWarning,
		Title:    "the token expires soon and has not been rotated",
		Detected: "token claims",
		Message:  `The token expires at {{.exp}}, in {{.time_left}}: kubelet should already have rotated it (it does at 80% of the lifetime).`,
		Fix: `If this persists, kubelet is not refreshing the projected volume on this node:
  kubectl get events {{nsFlag .}} --field-selector involvedObject.name={{d .pod "POD"}}`,
	},
	CodeServiceAccountMismatch: {
		Severity: SeverityError,
		Title:    "the pod runs as another service account than expected",
		Detected: "token sub vs IRSA_PROBE_EXPECT_SERVICE_ACCOUNT",
		Message:  `The token is for {{.sub}}, but the pod is expected to run as service account {{.expected_service_account}}.`,
		Fix: `Set the pod's serviceAccountName, then recreate the pods:
  kubectl patch {{workload .}} {{nsFlag .}} --type merge -p '{"spec":{"template":{"spec":{"serviceAccountName":"{{saName .expected_service_account}}"}}}}'`,
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
  {{trustPolicyFile .}}
  aws iam update-assume-role-policy --role-name {{roleName .role_arn}} --policy-document file://trust-policy.json
Or keep your policy and see which line refuses this pod, with the minimal edit of it (from a workstation; or pipe the first half into kubectl exec -i {{nsFlag .}} {{d .pod "POD"}} -c irsa-probe -- irsa-probe trust-policy --explain -, which reads this pod's token):
  aws iam get-role --role-name {{roleName .role_arn}} --output json | irsa-probe trust-policy --explain - --issuer {{d .issuer "ISSUER"}} --subject {{d .sub "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT"}} --audience {{d .expected_aud "sts.amazonaws.com"}}
Usual mistakes: "https://" in the condition keys, a provider of another cluster (oidc.REGION.eks.amazonaws.com/id/ID must be this cluster's), the sub in the :aud key, a wrong namespace or service account name. Print this policy any time with:
  irsa-probe trust-policy`,
	},
	CodeSTSInvalidIdentityToken: {
		Severity: SeverityError,
		Title:    "STS rejected the token (InvalidIdentityToken) for a reason not listed above",
		Detected: "STS InvalidIdentityToken",
		Message:  `STS rejected the token: {{.error_code}}: {{.error_message}} (request id {{.request_id}}).{{if .signature}} Local signature check: {{.signature}}.{{end}}`,
		Fix: `If the signing key was rotated (the token's key id is not in the issuer's JWKS), the pod holds a token signed by a retired key: recreate the pod so kubelet requests a new one; if new tokens fail too, the API server signs with a key it does not publish.
  kubectl delete pod {{nsFlag .}} {{d .pod "POD"}}
  curl -fsS {{d .issuer "ISSUER"}}/keys
Otherwise compare the token's issuer {{d .issuer "ISSUER"}} with the account's OIDC providers and the cluster:
  aws iam list-open-id-connect-providers
  aws eks describe-cluster --name {{d .cluster "CLUSTER_NAME"}} --query cluster.identity.oidc.issuer --output text`,
	},
	CodeOIDCProviderMissing: {
		Severity: SeverityError,
		Title:    "the account has no IAM OIDC provider for the cluster's issuer",
		Detected: "STS InvalidIdentityToken: No OpenIDConnect provider found in your account for ISSUER",
		Message:  `Account {{d .account "ACCOUNT_ID"}} has no IAM OIDC provider for issuer {{d .sts_issuer .issuer}} (request id {{.request_id}}).`,
		Fix: `Create the provider for this cluster's issuer, with eksctl:
  eksctl utils associate-iam-oidc-provider --cluster {{d .cluster "CLUSTER_NAME"}} --region {{suggestRegion .}} --approve
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
  irsa-probe trust-policy > trust-policy.json
  aws iam update-assume-role-policy --role-name {{roleName .role_arn}} --policy-document file://trust-policy.json`,
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
  aws account enable-region --region-name {{suggestRegion .}}`,
	},
	CodeSTSInvalidClientToken: {
		Severity: SeverityError,
		Title:    "STS does not know the credentials: region, partition or endpoint mismatch",
		Detected: "STS InvalidClientTokenId",
		Message:  `STS at {{d .endpoint "the default endpoint"}} rejected the credentials: {{.error_code}}: {{.error_message}} (request id {{.request_id}}).`,
		Fix: `The region, partition and endpoint must agree with the role {{d .role_arn "ROLE_ARN"}}: aws-cn roles need a cn-* region, aws-us-gov roles a us-gov-* region, and AWS_STS_REGIONAL_ENDPOINTS=regional:
  kubectl set env {{workload .}} {{nsFlag .}} AWS_REGION={{suggestRegion .}} AWS_STS_REGIONAL_ENDPOINTS=regional`,
	},
	CodeSTSThrottled: {
		Severity: SeverityUndecided,
		Title:    "STS throttled every try until the deadline",
		Detected: "STS Throttling / Rate exceeded, after retries",
		Message:  `STS throttled the probe until its deadline ({{.error_code}}: {{.error_message}}, request id {{.request_id}}); the identity was not decided.`,
		Fix: `The probe backed off and gave up; this is not a broken identity. STS's request quotas are per account and Region and cannot be raised: lower the STS call rate in account {{d .account "ACCOUNT_ID"}} (many pods starting at once, short refresh periods) or raise IRSA_PROBE_TIMEOUT. See who calls STS most:
  aws cloudtrail lookup-events --region {{suggestRegion .}} --lookup-attributes AttributeKey=EventSource,AttributeValue=sts.amazonaws.com --max-results 50 --query 'Events[].Username'`,
	},
	CodeSTSUnreachable: {
		Severity: SeverityUndecided,
		Title:    "STS (or IMDS) could not be reached before the deadline",
		Detected: "DNS, TCP, TLS, HTTP or timeout errors (an answer whose body does not arrive too), after retries",
		Message:  `{{if .layer "timeout"}}{{d .endpoint "STS"}} did not answer in time: {{.detail}}{{else}}Could not reach {{d .endpoint "STS"}} ({{d .layer "network"}} failed: {{.detail}}){{end}}{{if .proxy}}; proxy in effect: {{.proxy}}{{end}}.`,
		Fix: `{{if .layer "timeout"}}The endpoint was reached but its answer was too slow (a congested link, or a proxy or firewall holding the answer), on every attempt until the deadline. Check that path's health; a longer IRSA_PROBE_TIMEOUT only helps if STS is slow, never if the answer is held.
{{end}}Check egress to the endpoint from this pod (network policies, security groups, VPC endpoint for STS, proxy settings):
  {{reachCommand .}}
  aws ec2 describe-vpc-endpoints --region {{suggestRegion .}} --filters Name=service-name,Values={{vpceService .}}
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
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.spec.containers[*].env}'
Point the override at the region's endpoint, or remove it:
  kubectl set env {{workload .}} {{nsFlag .}} AWS_ENDPOINT_URL_STS={{stsEndpoint .}}`,
	},
	CodeWrongRole: {
		Severity: SeverityError,
		Title:    "the pod ends up with another role than expected",
		Detected: "GetCallerIdentity ARN vs the expected role",
		Message:  `The pod's identity is {{.caller_arn}}, but {{.expected_role_arn}} is expected.`,
		Fix: `Point the service account at the expected role and recreate the pods:
  kubectl annotate serviceaccount {{nsFlag .}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/role-arn={{.expected_role_arn}} --overwrite
  {{restart .}}`,
	},
	CodeNodeRoleFallback: {
		Severity: SeverityError,
		Title:    "the SDK's default credential chain ends at the node's instance role (IMDS), not the pod's role",
		Detected: "default chain GetCallerIdentity; IMDS probed without and with a session token",
		Message:  `An application using the AWS SDK's default credential chain in this container gets {{d .caller_arn "no identity"}} (from {{d .credential_source "an unknown source"}}), not {{d .expected_role_arn "the IRSA role"}}.{{if .imds}} IMDS: {{.imds}}.{{end}}{{if .error_code}} Those credentials fail: {{.error_code}}: {{.error_message}}.{{end}}`,
		Fix: `{{if .mechanism "none"}}The pod has no identity of its own: give it one with a Pod Identity association or an IRSA annotation (see role-arn-missing).{{else}}If AWS_ROLE_ARN is missing, annotate the service account and recreate the pods (see role-arn-missing). If it is set, something earlier in the chain wins: remove AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and AWS_PROFILE from the container, and make sure the application's SDK supports web identity (see the README's minimum SDK versions).{{end}}
{{imdsAdvice .}}`,
	},
	CodePodIdentityEndpointInvalid: {
		Severity: SeverityError,
		Title:    "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL the SDKs will call",
		Detected: "environment (the SDK's allowed hosts)",
		Message:  `AWS_CONTAINER_CREDENTIALS_FULL_URI={{.agent_url}} cannot serve credentials: {{.detail}}.`,
		Fix: `The EKS pod identity webhook sets http://169.254.170.23/v1/credentials (http://[fd00:ec2::23]/v1/credentials in IPv6 clusters); over plain http the SDKs only call loopback addresses and the ECS and EKS container addresses. Remove the hand-written value from the pod spec so the webhook's applies, then recreate the pods:
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.spec.containers[*].env[?(@.name=="AWS_CONTAINER_CREDENTIALS_FULL_URI")]}'`,
	},
	CodePodIdentityAgentUnreachable: {
		Severity: SeverityUndecided,
		Title:    "the EKS Pod Identity agent on the node did not answer before the deadline",
		Detected: "connection refused or timed out to AWS_CONTAINER_CREDENTIALS_FULL_URI, after retries",
		Message:  `{{if .layer "timeout"}}The EKS Pod Identity agent at {{.agent_url}} did not answer in time: {{.detail}}{{else}}Could not reach the EKS Pod Identity agent at {{.agent_url}} ({{d .layer "network"}} failed: {{.detail}}){{end}}; the identity was not decided.`,
		Fix: `{{if .layer "refused"}}Nothing listens on the agent's address on this node: the eks-pod-identity-agent add-on is not installed, or its pod on this node is not running:
  aws eks describe-addon --cluster-name {{d .cluster "CLUSTER_NAME"}} --addon-name eks-pod-identity-agent
  aws eks create-addon --cluster-name {{d .cluster "CLUSTER_NAME"}} --addon-name eks-pod-identity-agent
  kubectl get daemonset --namespace=kube-system eks-pod-identity-agent
  kubectl get pods --namespace=kube-system -l app.kubernetes.io/name=eks-pod-identity-agent -o wide{{else}}Packets to the agent are dropped: a NetworkPolicy or security group blocks egress to 169.254.170.23 (fd00:ec2::23) port 80, or the node's agent is hung:
  kubectl get networkpolicy {{nsFlag .}}
  kubectl get pods --namespace=kube-system -l app.kubernetes.io/name=eks-pod-identity-agent -o wide
Allow egress to 169.254.170.23/32 and fd00:ec2::23/128 on TCP 80 in the pod's network policies.{{end}}`,
	},
	CodePodIdentityProxy: {
		Severity: SeverityError,
		Title:    "an HTTP proxy stands between the pod and the Pod Identity agent",
		Detected: "agent 403 \"Called agent through invalid address\", or a proxy failure, with HTTP_PROXY set and the agent not in NO_PROXY",
		Message:  `The request for credentials did not reach the EKS Pod Identity agent at {{.agent_url}} directly{{if .proxy}} (proxy in effect: {{.proxy}}){{end}}{{if .error_message}}; the agent answered HTTP {{.http_status}}: {{.error_message}}{{else}}: {{.detail}}{{end}}.`,
		Fix: `The agent only answers requests addressed to 169.254.170.23 or fd00:ec2::23, and only on this node: keep them away from the proxy. Add both to NO_PROXY (no_proxy too, for tools that read only the lower-case name) in the pod spec; kubectl set env recreates the pods:
  kubectl set env {{workload .}} {{nsFlag .}} NO_PROXY=169.254.170.23,fd00:ec2::23,{{d .no_proxy "localhost,127.0.0.1"}} no_proxy=169.254.170.23,fd00:ec2::23,{{d .no_proxy "localhost,127.0.0.1"}}`,
	},
	CodePodIdentityDenied: {
		Severity: SeverityError,
		Title:    "EKS cannot assume the associated role: its trust policy does not trust pods.eks.amazonaws.com",
		Detected: "agent passes EKS Auth AccessDeniedException (EKS does not have permissions to assume the associated role)",
		Message:  `EKS Pod Identity could not assume the role associated with {{d .namespace "NAMESPACE"}}/{{d .service_account "SERVICE_ACCOUNT"}}: {{.error_code}}: {{.error_message}} (request id {{d .request_id "none"}}).`,
		Fix: `The role's trust policy must let the pods.eks.amazonaws.com service principal call sts:AssumeRole and sts:TagSession (an IRSA role trusts only the cluster's OIDC provider). Replace it, or add this statement to it:
  {{podIdentityTrustPolicyFile .}}
  aws iam update-assume-role-policy --role-name {{roleName .expected_role_arn}} --policy-document file://trust-policy.json
Find the associated role with:
  aws eks list-pod-identity-associations --cluster-name {{d .cluster "CLUSTER_NAME"}} --namespace {{d .namespace "NAMESPACE"}} --service-account {{d .service_account "SERVICE_ACCOUNT"}}
Or keep your policy and see which line refuses EKS, with the minimal edit of it:
  aws iam get-role --role-name {{roleName .expected_role_arn}} --output json | irsa-probe trust-policy --explain - --pod-identity --subject {{d .sub "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT"}}
Print this policy any time with:
  irsa-probe trust-policy --pod-identity`,
	},
	CodePodIdentityAssociationMissing: {
		Severity: SeverityError,
		Title:    "no Pod Identity association for this service account",
		Detected: "agent passes EKS Auth ResourceNotFoundException",
		Message:  `EKS has no Pod Identity association for service account {{d .namespace "NAMESPACE"}}/{{d .service_account "SERVICE_ACCOUNT"}}{{if .cluster}} in cluster {{.cluster}}{{end}}: {{.error_code}}: {{.error_message}} (request id {{d .request_id "none"}}).`,
		Fix: `Associate the service account with its role, then recreate the pods (the webhook injects Pod Identity only into pods created after the association):
  {{associationCommand .}}
  {{restart .}}
Check with:
  aws eks list-pod-identity-associations --cluster-name {{d .cluster "CLUSTER_NAME"}} --namespace {{d .namespace "NAMESPACE"}}`,
	},
	CodePodIdentityAgentError: {
		Severity: SeverityError,
		Title:    "the Pod Identity agent could not get credentials from EKS Auth",
		Detected: "agent 5xx, or EKS Auth AccessDeniedException for the node role, after retries",
		Message:  `The EKS Pod Identity agent at {{.agent_url}} failed to get credentials from EKS Auth: HTTP {{d .http_status "?"}}: {{d .error_message .detail}}.`,
		Fix: `The agent calls EKS Auth (eks-auth:AssumeRoleForPodIdentity) with the node's role. Check that the node role has the AmazonEKSWorkerNodePolicy (it grants eks-auth:AssumeRoleForPodIdentity) and, in a private cluster, that the VPC has an eks-auth endpoint:
  aws iam list-attached-role-policies --role-name NODE_ROLE_NAME
  aws iam attach-role-policy --role-name NODE_ROLE_NAME --policy-arn arn:{{d .partition "aws"}}:iam::aws:policy/AmazonEKSWorkerNodePolicy
  aws ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws.{{suggestRegion .}}.eks-auth
The agent's own log names the failing call:
  kubectl logs --namespace=kube-system -l app.kubernetes.io/name=eks-pod-identity-agent --tail=50`,
	},
	CodePodIdentityThrottled: {
		Severity: SeverityUndecided,
		Title:    "the Pod Identity agent or EKS Auth throttled every try until the deadline",
		Detected: "agent 429 Too Many Requests, or EKS Auth ThrottlingException, after retries",
		Message:  `The EKS Pod Identity agent at {{.agent_url}} throttled the probe until its deadline (HTTP {{d .http_status "429"}}: {{.error_message}}); the identity was not decided.`,
		Fix: `The probe backed off and gave up; this is not a broken identity. Too many pods on this node ask for credentials at once (the agent allows about 1000 requests a second and caches credentials), or EKS Auth throttles the cluster's account {{d .account "ACCOUNT_ID"}}. Raise IRSA_PROBE_TIMEOUT or IRSA_PROBE_REFRESH, and spread pod starts. The agent's log says which:
  kubectl logs --namespace=kube-system -l app.kubernetes.io/name=eks-pod-identity-agent --tail=50`,
	},
	CodeIdentityMechanismConflict: {
		Severity: SeverityWarning,
		Title:    "both IRSA and EKS Pod Identity variables are set: the SDKs pick IRSA",
		Detected: "environment: AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE and AWS_CONTAINER_CREDENTIALS_FULL_URI together",
		Message:  `This container has both IRSA's AWS_ROLE_ARN ({{d .role_arn "unset"}}) and EKS Pod Identity's AWS_CONTAINER_CREDENTIALS_FULL_URI ({{d .agent_url "unset"}}). ` + SDKOrder + `, so those applications use IRSA (check other SDKs' default chains){{if .irsa}} ({{.irsa}}){{end}}; Pod Identity {{d .pod_identity "was not checked"}}.`,
		Fix: `The EKS pod identity webhook never injects both: Pod Identity takes precedence and it then leaves IRSA out. The IRSA variables were written into the pod spec by hand (or the pod predates the association). To finish the migration to Pod Identity, make sure it works (above), then remove AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and the aws-iam-token volume from the pod spec and the IRSA annotation from the service account, and recreate the pods:
  kubectl annotate serviceaccount {{nsFlag .}} {{d .service_account "SERVICE_ACCOUNT"}} eks.amazonaws.com/role-arn-
  {{restart .}}
To stay on IRSA instead, delete the association:
  aws eks list-pod-identity-associations --cluster-name {{d .cluster "CLUSTER_NAME"}} --namespace {{d .namespace "NAMESPACE"}} --service-account {{d .service_account "SERVICE_ACCOUNT"}}
  aws eks delete-pod-identity-association --cluster-name {{d .cluster "CLUSTER_NAME"}} --association-id ASSOCIATION_ID`,
	},
	CodePartitionMismatch: {
		Severity: SeverityError,
		Title:    "the role's partition, the issuer's host and the region do not agree",
		Detected: "environment: role ARN partition vs AWS_REGION vs the token's issuer host",
		Message:  `The role {{.role_arn}} is in partition {{d .partition "?"}}, but {{.detail}}; STS in one partition knows nothing of the others.`,
		Fix: `Use a role, a region and a cluster of the same partition. The cluster's issuer names its region{{if .issuer_region}} ({{.issuer_region}}){{end}}; set it, or annotate the service account with a role of the cluster's partition, then recreate the pods:
  kubectl set env {{workload .}} {{nsFlag .}} AWS_REGION={{suggestRegion .}} AWS_STS_REGIONAL_ENDPOINTS=regional
  aws iam get-role --region {{suggestRegion .}} --role-name {{roleName .role_arn}} --query Role.Arn --output text`,
	},
	CodeStaticCredentialsShadow: {
		Severity: SeverityError,
		Title:    "static keys or a profile come before IRSA or Pod Identity in the SDK's chain",
		Detected: "default chain credential source: environment keys, shared config or credentials file",
		Message:  `{{d .shadowed_by "Other credentials"}} win over {{d .mechanism "the pod's identity"}} in the AWS SDK's default credential chain, so an application in this container runs as {{d .caller_arn "those credentials"}} (from {{d .credential_source "an unknown source"}}), not {{d .expected_role_arn "the pod's role"}}.{{if .error_code}} Those credentials fail: {{.error_code}}: {{.error_message}}.{{end}}`,
		Fix: `Remove them from the pod spec (or the image) so the SDK reaches the pod's identity; kubectl set env recreates the pods:
  {{unsetShadow .}}
Check that nothing else sets them (a Secret in envFrom, a baked-in ~/.aws directory):
  kubectl get {{workload .}} {{nsFlag .}} -o jsonpath='{.spec.template.spec.containers[*].envFrom}'`,
	},
	CodeOIDCClientIDMismatch: {
		Severity: SeverityError,
		Title:    "the token's audience is right, but the IAM OIDC provider's client-id list does not contain it",
		Detected: "STS InvalidIdentityToken: Incorrect token audience, with the token's aud equal to the expected audience",
		Message:  `STS rejected the token's audience {{d .aud "sts.amazonaws.com"}}, which is the expected one: the IAM OIDC provider for {{d .issuer "the issuer"}} does not list it as a client id ({{.error_code}}: {{.error_message}}, request id {{.request_id}}).`,
		Fix: `Add the audience to the provider's client-id list (a common slip is sts.amazon.com, without "aws"; and a custom eks.amazonaws.com/audience must be listed too):
  aws iam get-open-id-connect-provider --open-id-connect-provider-arn {{oidcProviderARN .}} --query ClientIDList
  aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {{oidcProviderARN .}} --client-id {{d .aud "sts.amazonaws.com"}}`,
	},
	CodeSessionNameInvalid: {
		Severity: SeverityError,
		Title:    "AWS_ROLE_SESSION_NAME is not a valid STS session name",
		Detected: "environment: AWS_ROLE_SESSION_NAME outside 2-64 characters of [\\w+=,.@-] (STS would answer ValidationError)",
		Message:  `AWS_ROLE_SESSION_NAME={{.session_name}} is not a valid session name: {{.detail}}; STS answers every AssumeRoleWithWebIdentity with ValidationError.`,
		Fix: `Use 2 to 64 characters of letters, digits and +=,.@_-, or remove the variable (the SDKs then generate one); kubectl set env recreates the pods:
  kubectl set env {{workload .}} {{nsFlag .}} AWS_ROLE_SESSION_NAME={{validSessionName .}}`,
	},
	CodeSTSGlobalEndpoint: {
		Severity: SeverityError,
		Title:    "the global STS endpoint is used while the region needs its regional endpoint",
		Detected: "environment: the STS host is sts.amazonaws.com and the region is an opt-in region, or the region's STS name resolves to a private address (an STS interface VPC endpoint the global endpoint bypasses)",
		Message:  `The SDK would call the global STS endpoint {{.endpoint}}, but the region {{.region}} {{.detail}}.`,
		Fix: `Use the region's endpoint: remove the override and let the SDK pick the regional one; kubectl set env recreates the pods:
  kubectl set env {{workload .}} {{nsFlag .}} AWS_ENDPOINT_URL_STS- AWS_STS_REGIONAL_ENDPOINTS=regional AWS_REGION={{suggestRegion .}}
or, to keep the global endpoint, make its session tokens valid in every region (version 2 tokens, IAM account setting):
  aws iam set-security-token-service-preferences --global-endpoint-token-version v2Token`,
	},
	CodeClockSkew: {
		Severity: SeverityWarning,
		Title:    "this container's clock and STS's differ by more than a minute, or the credentials expired on arrival",
		Detected: "STS Date header vs the local clock; the Expiration STS returned vs the local clock",
		Message:  `{{.detail}} (STS's Date header: {{d .sts_date "not seen"}}; this container's clock: {{.now}}). The SDKs refresh credentials by the local clock, and signatures more than 5 minutes off are refused.`,
		Fix: `Fix time sync on the node (Amazon Time Sync Service at 169.254.169.123, or NTP):
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{.spec.nodeName}'
On that node:
  chronyc tracking
  timedatectl status`,
	},
	CodeOIDCDiscoveryInvalid: {
		Severity: SeverityError,
		Title:    "the issuer's discovery document or JWKS cannot validate this token",
		Detected: "signature step: discovery issuer vs the token's iss, jwks_uri scheme, the token's kid vs the JWKS",
		Message:  `The issuer {{d .issuer "ISSUER"}} publishes a discovery document or key set that STS cannot use for this token: {{.detail}}.{{if .error_code}} STS said {{.error_code}}: {{.error_message}} (request id {{.request_id}}).{{end}}`,
		Fix: `Self-managed issuers (kops, kind, k3s with an S3-hosted issuer) must publish, at {{d .issuer "ISSUER"}}/.well-known/openid-configuration, "issuer" equal to the API server's --service-account-issuer, an https jwks_uri, and every key the API server signs with (--service-account-key-file). Compare:
  curl -fsS {{d .issuer "ISSUER"}}/.well-known/openid-configuration
  curl -fsS {{d .jwks_uri "ISSUER/keys"}}
Then republish the documents from the API server and recreate the pod so kubelet requests a new token:
  kubectl get --raw /.well-known/openid-configuration
  kubectl get --raw /openid/v1/jwks
  kubectl delete pod {{nsFlag .}} {{d .pod "POD"}}`,
	},
}
