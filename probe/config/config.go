package config

import (
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// Prefix starts the name of every one of the probe's own variables.
const Prefix = "IRSA_PROBE_"

// MinRefresh is the shortest IRSA_PROBE_REFRESH: below it a typo (5ms for
// 5m) would turn serve into a loop of STS calls. Each pod's checks cost
// two STS calls; docs/serve.md's "STS load at scale" has the arithmetic.
const MinRefresh = time.Second

// DefaultListen is where `serve` listens unless IRSA_PROBE_LISTEN says otherwise.
const DefaultListen = ":8086"

// AWS is what the EKS pod identity webhook injects, plus the SDK's
// standard endpoint and IMDS overrides. The names are AWS's, so no prefix.
type AWS struct {
	RoleARN              string `envconfig:"AWS_ROLE_ARN" show:"(webhook)" desc:"role to assume (injected by the pod identity webhook)"`
	TokenFile            string `envconfig:"AWS_WEB_IDENTITY_TOKEN_FILE" show:"(webhook)" desc:"projected service-account token (injected by the webhook)"`
	Region               string `envconfig:"AWS_REGION" show:"(webhook)" desc:"region; the STS endpoint is that region's"`
	DefaultRegion        string `envconfig:"AWS_DEFAULT_REGION" show:"(webhook)" desc:"region, when AWS_REGION is unset"`
	STSRegionalEndpoints string `envconfig:"AWS_STS_REGIONAL_ENDPOINTS" show:"(webhook)" desc:"read for the evidence; current SDKs are always regional"`
	RoleSessionName      string `envconfig:"AWS_ROLE_SESSION_NAME" show:"irsa-probe-POD" desc:"session name of AssumeRoleWithWebIdentity (shows in CloudTrail)"`
	EndpointURLSTS       string `envconfig:"AWS_ENDPOINT_URL_STS" desc:"STS endpoint override (VPC endpoints, tests)"`
	EndpointURL          string `envconfig:"AWS_ENDPOINT_URL" desc:"endpoint override for every service, when AWS_ENDPOINT_URL_STS is unset"`
	IMDSEndpoint         string `envconfig:"AWS_EC2_METADATA_SERVICE_ENDPOINT" desc:"IMDS endpoint override, for the default-chain step"`
	IMDSDisabled         string `envconfig:"AWS_EC2_METADATA_DISABLED" desc:"true keeps the default-chain step off IMDS (the node role)"`
	CABundle             string `envconfig:"AWS_CA_BUNDLE" desc:"PEM file of the CA certificates to trust for STS, IMDS and the issuer instead of the system's, as the SDK does (at most 1 MiB)"`
	// EKS Pod Identity: the container credentials provider's variables.
	ContainerCredentialsFullURI string `envconfig:"AWS_CONTAINER_CREDENTIALS_FULL_URI" show:"(webhook)" desc:"EKS Pod Identity agent endpoint (injected by the webhook for an associated service account)"`
	ContainerAuthTokenFile      string `envconfig:"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" show:"(webhook)" desc:"EKS Pod Identity token, sent to the agent (injected by the webhook)"`
}

// EffectiveRegion is the region the SDK would use.
func (e AWS) EffectiveRegion() string {
	if e.Region != "" {
		return e.Region
	}
	return e.DefaultRegion
}

// STSEndpointOverride is the endpoint override the SDK would honour for STS.
func (e AWS) STSEndpointOverride() string {
	if e.EndpointURLSTS != "" {
		return e.EndpointURLSTS
	}
	return e.EndpointURL
}

// Settings are the probe's own knobs: IRSA_PROBE_ + the field's envconfig
// name (its upper-cased name without one). A `flag` tag makes the setting
// a flag of the commands in its `cmd` tag too; the flag wins over the
// variable. `default` is applied by envconfig; `show` is the default as
// documented where it is not a literal.
type Settings struct {
	Timeout              time.Duration `default:"30s" flag:"timeout" cmd:"check,serve" desc:"deadline of one whole check, retries included"`
	Audience             string        `default:"sts.amazonaws.com" flag:"audience" cmd:"check,serve,trust-policy" desc:"audience the token must carry"`
	ExpectRoleARN        string        `envconfig:"EXPECT_ROLE_ARN" flag:"expect-role-arn" cmd:"check,serve" show:"AWS_ROLE_ARN" desc:"role the pod must end up with"`
	ExpectServiceAccount string        `envconfig:"EXPECT_SERVICE_ACCOUNT" flag:"expect-service-account" cmd:"check,serve" desc:"namespace:name the token must be for; catches a wrong serviceAccountName"`
	Output               string        `default:"text" flag:"output" cmd:"check,trust-policy" desc:"report format: text or json"`
	TerminationLog       string        `envconfig:"TERMINATION_LOG" default:"/dev/termination-log" flag:"termination-log" cmd:"check,serve" desc:"failure summary for kubectl describe pod; empty disables"`
	VerifySignature      string        `envconfig:"VERIFY_SIGNATURE" default:"auto" flag:"verify-signature" cmd:"check,serve" desc:"check the token's signature against the issuer's JWKS: auto (warn if unreachable), always or never"`
	ExpiryMargin         time.Duration `envconfig:"EXPIRY_MARGIN" show:"10% of the token's lifetime" desc:"warn (token-expiring-soon) when less is left"`
	LogFormat            string        `envconfig:"LOG_FORMAT" default:"text" flag:"log-format" cmd:"check,serve" desc:"log format on stderr: text or json"`
	LogLevel             string        `envconfig:"LOG_LEVEL" default:"info" flag:"log-level" cmd:"check,serve" desc:"debug, info, warn or error"`
	Listen               string        `default:":8086" flag:"listen" cmd:"serve" desc:"address of /healthz, /readyz, /livez and /metrics"`
	Refresh              time.Duration `default:"5m" flag:"refresh" cmd:"serve" desc:"how often the identity is re-checked (±10% jitter)"`
	Grace                time.Duration `flag:"grace" cmd:"serve" show:"2 × refresh" desc:"how long transient failures may last before readiness fails"`
	PodNamespace         string        `envconfig:"POD_NAMESPACE" desc:"pod namespace (downward API); fills the fixes when there is no token"`
	PodName              string        `envconfig:"POD_NAME" desc:"pod name (downward API)"`
	ServiceAccount       string        `envconfig:"SERVICE_ACCOUNT" desc:"pod service account (downward API: spec.serviceAccountName)"`
	// Names the workload in the fixes (deployment/NAME) without API access.
	PodTemplateHash string `envconfig:"POD_TEMPLATE_HASH" desc:"the pod's pod-template-hash label (downward API); names the Deployment in the fixes"`
	OnUndecided     string `envconfig:"ON_UNDECIDED" default:"fail" flag:"on-undecided" cmd:"check" desc:"exit code of check when undecided: fail (3) or pass (0)"`
}

// Config is everything one run reads.
type Config struct {
	AWS AWS
	Settings
	// Now is the clock; tests set it. Nil means time.Now.
	Now func() time.Time

	// origin names where each setting that failed validation came from:
	// its flag when one was given, else its variable.
	origin map[string]string
	// Derived once by Finish.
	expectedRole    string
	expectedRoleARN iam.RoleARN
	expectedRoleErr error
	stsEndpoint     string
	caBundle        []byte
}

// maxCABundle caps AWS_CA_BUNDLE: a bundle of every public root is ~200 KiB.
const maxCABundle = 1 << 20

// Finish applies the defaults that depend on other settings (grace is 2 ×
// refresh), derives what the check reads more than once, and validates.
// Call it after the flags are parsed.
func (c *Config) Finish() error {
	if c.Grace == 0 {
		c.Grace = 2 * c.Refresh
	}
	c.expectedRole = c.ExpectRoleARN
	if c.expectedRole == "" {
		c.expectedRole = c.AWS.RoleARN
	}
	c.expectedRoleARN, c.expectedRoleErr = iam.ParseRoleARN(c.expectedRole)
	c.stsEndpoint = c.AWS.STSEndpointOverride()
	if reg := c.AWS.EffectiveRegion(); c.stsEndpoint == "" && reg != "" {
		c.stsEndpoint = iam.STSEndpoint(reg)
	}
	if err := c.loadCABundle(); err != nil {
		return err
	}
	return c.Validate()
}

// loadCABundle reads AWS_CA_BUNDLE once. The probe's own HTTP transport
// applies it, and it is then removed from the process environment: given
// the variable, the SDK's config loader would build a transport of its own
// on every check (and leak its connections).
func (c *Config) loadCABundle() error {
	if c.AWS.CABundle == "" {
		return nil
	}
	b, err := safefile.Read(c.AWS.CABundle, maxCABundle)
	if err != nil {
		return &Error{Name: "AWS_CA_BUNDLE", Value: c.AWS.CABundle, Want: fmt.Sprintf("cannot be read: %v", err)}
	}
	if !holdsPEMCertificate(b) {
		return &Error{Name: "AWS_CA_BUNDLE", Value: c.AWS.CABundle, Want: "holds no PEM certificate"}
	}
	c.caBundle = b
	return os.Unsetenv("AWS_CA_BUNDLE")
}

// holdsPEMCertificate reports whether b has a PEM CERTIFICATE block. The
// certificates are parsed once, at the first TLS connection (package
// check): parsing a bundle of every public root here too cost a check
// milliseconds of CPU, over plain HTTP for nothing.
func holdsPEMCertificate(b []byte) bool {
	for len(b) > 0 {
		var block *pem.Block
		if block, b = pem.Decode(b); block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" && len(block.Headers) == 0 {
			return true
		}
	}
	return false
}

// CABundle is the PEM of AWS_CA_BUNDLE, nil when it is not set.
func (c *Config) CABundle() []byte { return c.caBundle }

// ExpectedRole is the role the pod must end up with: IRSA_PROBE_EXPECT_ROLE_ARN,
// else AWS_ROLE_ARN; as given, and parsed (an error for a malformed one,
// which is a finding, not a usage error, when it came from AWS_ROLE_ARN).
func (c *Config) ExpectedRole() (string, iam.RoleARN, error) {
	return c.expectedRole, c.expectedRoleARN, c.expectedRoleErr
}

// STSEndpoint is the endpoint the SDK will call: the override, else the
// region's, else "" (no region).
func (c *Config) STSEndpoint() string { return c.stsEndpoint }

// Clock returns the time now.
func (c *Config) Clock() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Validate checks the probe's own settings. The AWS_* values are not
// validated here: a malformed AWS_ROLE_ARN is a finding, not a usage error.
func (c *Config) Validate() error {
	s := &c.Settings
	for _, d := range []struct {
		field string
		v     time.Duration
		min   time.Duration
	}{{"Timeout", s.Timeout, 1}, {"Refresh", s.Refresh, MinRefresh}, {"Grace", s.Grace, 0}, {"ExpiryMargin", s.ExpiryMargin, 0}} {
		switch {
		case d.v < d.min && d.min > 1:
			return c.Invalid(d.field, d.v.String(), "must be at least %s", d.min)
		case d.v < d.min && d.min == 1:
			return c.Invalid(d.field, d.v.String(), "must be a positive duration")
		case d.v < d.min:
			return c.Invalid(d.field, d.v.String(), "must not be negative")
		}
	}
	if s.Audience == "" {
		return c.Invalid("Audience", "", "must not be empty")
	}
	if s.ExpectRoleARN != "" {
		if _, err := iam.ParseRoleARN(s.ExpectRoleARN); err != nil {
			return c.Invalid("ExpectRoleARN", s.ExpectRoleARN, "%v", err)
		}
	}
	if s.ExpectServiceAccount != "" {
		ns, name, ok := strings.Cut(s.ExpectServiceAccount, ":")
		if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
			return c.Invalid("ExpectServiceAccount", s.ExpectServiceAccount, "must be namespace:name, e.g. payments:billing-api")
		}
	}
	for _, o := range []struct {
		field, v string
		allowed  []string
	}{
		{"Output", s.Output, []string{"text", "json"}},
		{"VerifySignature", s.VerifySignature, []string{"auto", "always", "never"}},
		{"LogFormat", s.LogFormat, []string{"text", "json"}},
		{"LogLevel", strings.ToLower(s.LogLevel), []string{"debug", "info", "warn", "error"}},
		{"OnUndecided", s.OnUndecided, []string{"fail", "pass"}},
	} {
		if o.field == "OnUndecided" && o.v == "" {
			continue // unset outside the environment (a Config built by hand): fail
		}
		if !contains(o.allowed, o.v) {
			return c.Invalid(o.field, o.v, "must be one of %s", strings.Join(o.allowed, ", "))
		}
	}
	if s.Listen == "" {
		return c.Invalid("Listen", "", "must be host:port, e.g. %s", DefaultListen)
	}
	return nil
}

// Invalid is an *Error about the value of a Settings field, named as the
// user set it: its flag when one was given, else its variable.
func (c *Config) Invalid(field, value, format string, args ...any) *Error {
	name, ok := c.origin[field]
	if !ok {
		name = settingByField(field).Env
	}
	return &Error{Name: name, Value: value, Want: fmt.Sprintf(format, args...)}
}

// SlogLevel maps LOG_LEVEL to slog.
func (s Settings) SlogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
