package ststest

import (
	"fmt"
	"os"
	"path/filepath"
)

// The names Start sets up: the IRSA scenario of the project's documentation.
const (
	DefaultAccount        = "111122223333"
	DefaultRegion         = "us-west-2"
	DefaultNamespace      = "payments"
	DefaultServiceAccount = "billing-api"
	DefaultPod            = "billing-api-7d9f8b6c5-x2k4q"
)

// StackOptions tune Start. The zero value is the default scenario.
type StackOptions struct {
	Account        string // default 111122223333
	Region         string // default us-west-2
	Namespace      string // default payments
	ServiceAccount string // default billing-api
	// RealEKSIssuer also registers the real EKS issuer of
	// testdata/k8s-tokens (RealEKSProvider) and trusts it in the role's
	// policy, so those real tokens can be exchanged too.
	RealEKSIssuer bool
	// PodIdentity gives the service account a Pod Identity association
	// with its role instead of an IRSA annotation: Agent runs, the role
	// trusts pods.eks.amazonaws.com too, and Environ is what the webhook
	// injects for Pod Identity (IRSA's variables left out).
	PodIdentity bool
}

// Stack is a whole IRSA world: an issuer registered as an OIDC provider, an
// STS with the service account's role, and the node's IMDS, plus a scratch
// directory with a token file and the issuer's CA, for subprocesses.
type Stack struct {
	Issuer *Issuer
	STS    *STS
	IMDS   *IMDS
	// Agent is the node's Pod Identity agent (StackOptions.PodIdentity).
	Agent *PodIdentityAgent

	Account        string
	Region         string
	Namespace      string
	ServiceAccount string
	// RoleARN is the service account's role,
	// arn:aws:iam::ACCOUNT:role/SERVICE_ACCOUNT, trusted for
	// system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT.
	RoleARN string
	// NodeRoleARN is the node's role, arn:aws:iam::ACCOUNT:role/eks-node-role.
	NodeRoleARN string

	Dir       string // scratch directory, removed by Close
	TokenFile string // holds a fresh service-account token
	CAFile    string // the issuer's CA, PEM
	// PodIdentityTokenFile holds a fresh Pod Identity token
	// (StackOptions.PodIdentity).
	PodIdentityTokenFile string
}

// Start starts and wires a Stack. It panics on failure, like the servers.
func Start(o StackOptions) *Stack {
	if o.Account == "" {
		o.Account = DefaultAccount
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = DefaultServiceAccount
	}
	st := &Stack{
		Account:        o.Account,
		Region:         o.Region,
		Namespace:      o.Namespace,
		ServiceAccount: o.ServiceAccount,
		RoleARN:        "arn:aws:iam::" + o.Account + ":role/" + o.ServiceAccount,
		NodeRoleARN:    "arn:aws:iam::" + o.Account + ":role/eks-node-role",
	}
	st.Issuer = NewIssuer()
	st.STS = NewSTS()
	st.IMDS = NewIMDS(st.NodeRoleARN)
	st.IMDS.Region = o.Region
	st.IMDS.AvailabilityZone = o.Region + "a"
	st.STS.AttachIMDS(st.IMDS)
	st.STS.AddIssuer(st.Issuer, o.Account)

	statements := []TrustStatement{TrustStatementFor("aws", o.Account, st.Issuer.URL, o.Namespace, o.ServiceAccount)}
	if o.RealEKSIssuer {
		st.STS.AddOIDCProvider(RealEKSProvider(o.Account))
		statements = append(statements, TrustStatementFor("aws", o.Account, RealEKSIssuerURL, o.Namespace, o.ServiceAccount))
	}
	if o.PodIdentity {
		statements = append(statements, PodIdentityTrustStatements()...)
		st.Agent = NewPodIdentityAgent(st.STS)
		st.Agent.Associate(o.Namespace, o.ServiceAccount, st.RoleARN)
	}
	if err := st.STS.PutRole(st.RoleARN, TrustPolicy(statements...)); err != nil {
		st.Close()
		panic(fmt.Sprintf("ststest: Start: %v", err))
	}
	if err := st.initDir(); err != nil {
		st.Close()
		panic(fmt.Sprintf("ststest: Start: %v", err))
	}
	return st
}

func (st *Stack) initDir() error {
	dir, err := os.MkdirTemp("", "ststest-")
	if err != nil {
		return fmt.Errorf("scratch directory: %w", err)
	}
	st.Dir = dir
	// The tokens in dir laid out as kubelet's projected volume: each file a
	// symlink into ..data (volume.go).
	st.TokenFile = filepath.Join(dir, "token")
	st.CAFile = filepath.Join(dir, "issuer-ca.pem")
	if err := st.WriteToken(st.Token()); err != nil {
		return err
	}
	if st.Agent != nil {
		st.PodIdentityTokenFile = filepath.Join(dir, "eks-pod-identity-token")
		if err := st.WritePodIdentityToken(st.PodIdentityToken()); err != nil {
			return err
		}
	}
	return st.Issuer.WriteCAFile(st.CAFile)
}

// Close stops every server and removes Dir.
func (st *Stack) Close() {
	if st.Agent != nil {
		st.Agent.Close()
	}
	if st.IMDS != nil {
		st.IMDS.Close()
	}
	if st.STS != nil {
		st.STS.Close()
	}
	if st.Issuer != nil {
		st.Issuer.Close()
	}
	if st.Dir != "" {
		_ = os.RemoveAll(st.Dir)
	}
}

// Token mints a fresh projected token for the service account's pod, as the
// EKS pod identity webhook's projected volume holds.
func (st *Stack) Token() string {
	return st.Issuer.ServiceAccountToken(TokenOptions{
		Namespace: st.Namespace, ServiceAccount: st.ServiceAccount, Pod: DefaultPod,
	})
}

// WriteToken replaces the content of TokenFile, as the kubelet does when it
// refreshes the projected token: a new ..data directory swapped in.
func (st *Stack) WriteToken(token string) error {
	if err := writeProjected(filepath.Dir(st.TokenFile), filepath.Base(st.TokenFile), []byte(token)); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

// Environ is the environment of a pod with IRSA wired to this Stack: what
// the EKS pod identity webhook injects, plus the endpoint overrides, the
// issuer's CA, and shared config files pointed at nothing so the host's
// ~/.aws cannot interfere. Append it to os.Environ() minus AWS_* for a
// subprocess.
func (st *Stack) Environ() []string {
	identity := []string{"AWS_ROLE_ARN=" + st.RoleARN, "AWS_WEB_IDENTITY_TOKEN_FILE=" + st.TokenFile}
	if st.Agent != nil {
		identity = st.PodIdentityEnviron()
	}
	return append(identity,
		"AWS_REGION="+st.Region,
		"AWS_DEFAULT_REGION="+st.Region,
		"AWS_STS_REGIONAL_ENDPOINTS=regional",
		"AWS_ENDPOINT_URL_STS="+st.STS.URL,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT="+st.IMDS.URL,
		"AWS_CONFIG_FILE="+filepath.Join(st.Dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(st.Dir, "no-credentials"),
		"SSL_CERT_FILE="+st.CAFile,
	)
}

// PodIdentityEnviron is what the webhook injects for a Pod Identity
// association, with the agent on 127.0.0.1 in place of 169.254.170.23.
func (st *Stack) PodIdentityEnviron() []string {
	return []string{
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + st.Agent.URL,
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + st.PodIdentityTokenFile,
	}
}

// PodIdentityToken mints a fresh Pod Identity token for the service
// account's pod: audience pods.eks.amazonaws.com, as the webhook projects it.
func (st *Stack) PodIdentityToken() string {
	return st.Issuer.ServiceAccountToken(TokenOptions{
		Namespace: st.Namespace, ServiceAccount: st.ServiceAccount, Pod: DefaultPod, Audiences: []string{PodIdentityAudience},
	})
}

// WritePodIdentityToken replaces the content of PodIdentityTokenFile.
func (st *Stack) WritePodIdentityToken(token string) error {
	if err := writeProjected(filepath.Dir(st.PodIdentityTokenFile), filepath.Base(st.PodIdentityTokenFile), []byte(token)); err != nil {
		return fmt.Errorf("write Pod Identity token file: %w", err)
	}
	return nil
}
