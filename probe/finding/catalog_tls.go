package finding

// CodeTLSCertificateUntrusted: a certificate that fails
// verification (detected in package check's tlserrors.go).
const CodeTLSCertificateUntrusted Code = "tls-certificate-untrusted"

// Evidence of a refused certificate.
const (
	EvTLSEndpoint = "tls_endpoint" // the URL whose certificate was refused
	EvTLSProblem  = "tls_problem"  // unknown-authority, name-mismatch, expired or invalid
	EvTLSChain    = "tls_chain"    // the chain presented: subject, issuer and validity of each
	EvCABundle    = "ca_bundle"    // AWS_CA_BUNDLE, when set
)

// The values of EvTLSProblem.
const (
	TLSUnknownAuthority = "unknown-authority"
	TLSNameMismatch     = "name-mismatch"
	TLSExpired          = "expired"
	TLSInvalid          = "invalid"
)

// caBundleDir is where the fix mounts the CA bundle's ConfigMap.
const caBundleDir = "/etc/aws-ca-bundle"

func init() {
	catalog[CodeTLSCertificateUntrusted] = entry{
		Severity: SeverityError,
		Title:    "the endpoint's TLS certificate fails verification (unknown authority, another name, expired): no retry changes it",
		Detected: "the TLS handshake with STS, the Pod Identity agent or the issuer, at the first attempt: x509 unknown authority, name mismatch, expired",
		Message:  `This pod does not trust the certificate {{d .tls_endpoint "the endpoint"}} presented ({{.tls_problem}}): {{.detail}}.{{if .proxy}} Proxy in effect: {{.proxy}}.{{end}}{{if .ca_bundle}} AWS_CA_BUNDLE is {{.ca_bundle}}.{{end}}`,
		Fix: `{{if .tls_problem "unknown-authority"}}A CA this pod does not trust signed the chain above: a TLS-intercepting proxy, or an endpoint behind a private CA. Get that CA's certificate (the issuer of the chain's last certificate) from whoever runs the proxy or endpoint, as ca.pem, and append the public roots to it (cat /etc/ssl/certs/ca-certificates.crt >> ca.pem on Debian or Ubuntu): AWS_CA_BUNDLE replaces the system roots in the Go SDKs, botocore (Python, the AWS CLI) and this probe, so a bundle of the private CA alone breaks every other endpoint. Java reads its JVM trust store instead.
{{end}}{{if .tls_problem "name-mismatch"}}The certificate is for another name than the one the pod calls: an endpoint override by IP address or by a name the certificate does not hold, or a proxy answering with its own certificate. Call the endpoint by a name its certificate holds (for STS, the regional endpoint or the VPC endpoint's DNS name):
  kubectl set env {{workload .}} {{nsFlag .}} AWS_ENDPOINT_URL_STS={{stsEndpoint .}}
If a proxy answers with its own certificate, trust its CA:
{{end}}{{if .tls_problem "expired"}}The certificate is outside its validity by this pod's clock (see the chain's dates): whoever runs the endpoint or proxy must renew it; trusting another CA does not help. If the pod's clock is wrong instead, fix the node's (compare with a clock you trust):
  kubectl run clock-check {{nsFlag .}} --rm -i --restart=Never --image=busybox:1.36 -- date -u{{else}}Put the CA in a ConfigMap, mount it in every container of the workload, and point AWS_CA_BUNDLE (the Go SDKs, the AWS CLI, boto3) and NODE_EXTRA_CA_CERTS (Node) at it, for the application and this probe alike; kubectl set env recreates the pods:
  {{caBundleCommands .}}{{end}}`,
	}
}

// caBundleCommands put ca.pem in a ConfigMap, mount it in every container
// of the workload (a strategic merge patch per container, named from the
// workload itself: it adds to each container's mounts and keeps them) and
// set the variables the SDKs read.
func caBundleCommands(ev Evidence) string {
	ns, wl := nsFlag(ev), workloadName(ev)
	patch := `{"spec":{"template":{"spec":{"volumes":[{"name":"aws-ca-bundle","configMap":{"name":"aws-ca-bundle"}}],` +
		`"containers":[{"name":"{}","volumeMounts":[{"name":"aws-ca-bundle","mountPath":"` + caBundleDir + `","readOnly":true}]}]}}}}`
	create := line("kubectl", "create", "configmap", "aws-ca-bundle", ns, "--from-file=ca.pem=ca.pem")
	if r := optionLike(wl); r != "" {
		// Each command naming the workload is refused on its own line.
		return create + "\n  " + r + "\n  " + r
	}
	return create + "\n" +
		"  " + line("kubectl", "get", wl, ns, "-o", `jsonpath={range .spec.template.spec.containers[*]}{.name}{"\n"}{end}`) +
		" | " + line("xargs", "-I{}", "kubectl", "patch", wl, ns, "-p", patch) + "\n" +
		"  " + line("kubectl", "set", "env", wl, ns, "AWS_CA_BUNDLE="+caBundleDir+"/ca.pem", "NODE_EXTRA_CA_CERTS="+caBundleDir+"/ca.pem")
}
