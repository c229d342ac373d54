package probe

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// SettingsPrefix is the prefix of the probe's own environment variables.
const SettingsPrefix = "IRSA_PROBE"

// DefaultListen is where `serve` listens unless IRSA_PROBE_LISTEN says otherwise.
const DefaultListen = ":8086"

// AWSEnv is what the EKS pod identity webhook injects, plus the SDK's
// standard endpoint and IMDS overrides. The names are AWS's, so no prefix.
type AWSEnv struct {
	RoleARN              string `envconfig:"AWS_ROLE_ARN" desc:"role to assume (injected by the pod identity webhook)"`
	TokenFile            string `envconfig:"AWS_WEB_IDENTITY_TOKEN_FILE" desc:"projected service-account token (injected by the webhook)"`
	Region               string `envconfig:"AWS_REGION" desc:"region of the STS endpoint"`
	DefaultRegion        string `envconfig:"AWS_DEFAULT_REGION" desc:"region, when AWS_REGION is unset"`
	STSRegionalEndpoints string `envconfig:"AWS_STS_REGIONAL_ENDPOINTS" desc:"regional or legacy (the SDK always uses regional)"`
	RoleSessionName      string `envconfig:"AWS_ROLE_SESSION_NAME" desc:"session name for AssumeRoleWithWebIdentity"`
	EndpointURLSTS       string `envconfig:"AWS_ENDPOINT_URL_STS" desc:"STS endpoint override"`
	EndpointURL          string `envconfig:"AWS_ENDPOINT_URL" desc:"endpoint override for all services"`
	IMDSEndpoint         string `envconfig:"AWS_EC2_METADATA_SERVICE_ENDPOINT" desc:"IMDS endpoint override"`
	IMDSDisabled         string `envconfig:"AWS_EC2_METADATA_DISABLED" desc:"true disables the IMDS (node role) fallback"`
}

// EffectiveRegion is the region the SDK would use.
func (e AWSEnv) EffectiveRegion() string {
	if e.Region != "" {
		return e.Region
	}
	return e.DefaultRegion
}

// STSEndpointOverride is the endpoint override the SDK would honour for STS.
func (e AWSEnv) STSEndpointOverride() string {
	if e.EndpointURLSTS != "" {
		return e.EndpointURLSTS
	}
	return e.EndpointURL
}

// Settings are the probe's own knobs, read from IRSA_PROBE_* and overridden by flags.
type Settings struct {
	Timeout              time.Duration `default:"30s" flag:"timeout" desc:"deadline of one whole check, retries included"`
	Audience             string        `default:"sts.amazonaws.com" flag:"audience" desc:"audience the token must carry"`
	ExpectRoleARN        string        `envconfig:"EXPECT_ROLE_ARN" flag:"expect-role-arn" desc:"role the pod must end up with (default: AWS_ROLE_ARN)"`
	ExpectServiceAccount string        `envconfig:"EXPECT_SERVICE_ACCOUNT" flag:"expect-service-account" desc:"namespace:name the token must be for"`
	Output               string        `default:"text" flag:"output" desc:"text or json"`
	TerminationLog       string        `envconfig:"TERMINATION_LOG" default:"/dev/termination-log" flag:"termination-log" desc:"where a failure summary goes for kubectl describe pod (empty: none)"`
	VerifySignature      string        `envconfig:"VERIFY_SIGNATURE" default:"auto" flag:"verify-signature" desc:"check the token signature against the issuer's JWKS: auto (when reachable), always or never"`
	ExpiryMargin         time.Duration `envconfig:"EXPIRY_MARGIN" desc:"warn when the token has less than this left (default: 10% of its lifetime)"`
	LogFormat            string        `envconfig:"LOG_FORMAT" default:"text" flag:"log-format" desc:"log format: text or json"`
	LogLevel             string        `envconfig:"LOG_LEVEL" default:"info" flag:"log-level" desc:"debug, info, warn or error"`
	Listen               string        `default:":8086" flag:"listen" desc:"serve: address of /healthz, /readyz, /livez, /metrics"`
	Refresh              time.Duration `default:"5m" flag:"refresh" desc:"serve: how often the identity is re-checked (±10% jitter)"`
	Grace                time.Duration `flag:"grace" desc:"serve: how long transient failures may last before readiness fails (default: 2x refresh)"`
	PodNamespace         string        `envconfig:"POD_NAMESPACE" desc:"pod namespace (downward API), used in fixes when there is no token"`
	PodName              string        `envconfig:"POD_NAME" desc:"pod name (downward API)"`
	ServiceAccount       string        `envconfig:"SERVICE_ACCOUNT" desc:"pod service account (downward API: spec.serviceAccountName)"`
}

// Config is everything one run reads.
type Config struct {
	AWS AWSEnv
	Settings
	// Now is the clock; tests set it. Nil means time.Now.
	Now func() time.Time
}

// UsageError is a wrongly invoked probe: exit 2, with the variable and value named.
type UsageError struct {
	Name  string // variable or flag
	Value string
	Want  string
}

func (e *UsageError) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Name, e.Value, e.Want)
}

// LoadConfig reads the environment through lookup (os.LookupEnv in main).
func LoadConfig() (Config, error) {
	var c Config
	if err := envconfig.Process("", &c.AWS); err != nil {
		return c, envError(err, "")
	}
	if err := envconfig.Process(SettingsPrefix, &c.Settings); err != nil {
		return c, envError(err, SettingsPrefix+"_")
	}
	return c, nil
}

func envError(err error, prefix string) error {
	var pe *envconfig.ParseError
	if errors.As(err, &pe) {
		want := "cannot be parsed as " + pe.TypeName
		if pe.TypeName == "time.Duration" || pe.TypeName == "Duration" {
			want = "not a duration (use e.g. 30s, 2m, 1h)"
		}
		return &UsageError{Name: pe.KeyName, Value: pe.Value, Want: want}
	}
	return fmt.Errorf("reading environment %s*: %w", prefix, err)
}

// Validate checks the probe's own settings. The AWS_* values are not
// validated here: a malformed AWS_ROLE_ARN is a finding, not a usage error.
func (c *Config) Validate() error {
	s := &c.Settings
	pos := func(name string, d time.Duration) error {
		if d <= 0 {
			return &UsageError{Name: name, Value: d.String(), Want: "must be a positive duration"}
		}
		return nil
	}
	if err := pos(envName("Timeout"), s.Timeout); err != nil {
		return err
	}
	if err := pos(envName("Refresh"), s.Refresh); err != nil {
		return err
	}
	if s.Grace < 0 {
		return &UsageError{Name: envName("Grace"), Value: s.Grace.String(), Want: "must not be negative"}
	}
	if s.Grace == 0 {
		s.Grace = 2 * s.Refresh
	}
	if s.ExpiryMargin < 0 {
		return &UsageError{Name: envName("ExpiryMargin"), Value: s.ExpiryMargin.String(), Want: "must not be negative"}
	}
	if s.Audience == "" {
		return &UsageError{Name: envName("Audience"), Value: "", Want: "must not be empty"}
	}
	if s.ExpectRoleARN != "" {
		if _, err := ParseRoleARN(s.ExpectRoleARN); err != nil {
			return &UsageError{Name: envName("ExpectRoleARN"), Value: s.ExpectRoleARN, Want: err.Error()}
		}
	}
	if s.ExpectServiceAccount != "" {
		ns, name, ok := strings.Cut(s.ExpectServiceAccount, ":")
		if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
			return &UsageError{Name: envName("ExpectServiceAccount"), Value: s.ExpectServiceAccount, Want: "must be namespace:name, e.g. payments:billing-api"}
		}
	}
	oneOf := func(field, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return &UsageError{Name: envName(field), Value: v, Want: "must be one of " + strings.Join(allowed, ", ")}
	}
	for _, chk := range []error{
		oneOf("Output", s.Output, "text", "json"),
		oneOf("VerifySignature", s.VerifySignature, "auto", "always", "never"),
		oneOf("LogFormat", s.LogFormat, "text", "json"),
		oneOf("LogLevel", strings.ToLower(s.LogLevel), "debug", "info", "warn", "error"),
	} {
		if chk != nil {
			return chk
		}
	}
	if s.Listen == "" {
		return &UsageError{Name: envName("Listen"), Value: "", Want: "must be host:port, e.g. :8086"}
	}
	return nil
}

// ExpectedRole is the role the pod must end up with.
func (c *Config) ExpectedRole() string {
	if c.ExpectRoleARN != "" {
		return c.ExpectRoleARN
	}
	return c.AWS.RoleARN
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// SlogLevel maps LOG_LEVEL to slog.
func (s Settings) SlogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// Setting describes one environment variable, for --help, the README and
// the manifest tests.
type Setting struct {
	Env     string
	Flag    string
	Default string
	Desc    string
}

// Settings lists every variable the binary reads: the AWS ones, then the probe's.
func AllSettings() []Setting {
	var out []Setting
	out = append(out, settingsOf(reflect.TypeOf(AWSEnv{}), "")...)
	out = append(out, settingsOf(reflect.TypeOf(Settings{}), SettingsPrefix+"_")...)
	return out
}

// EnvNames lists the names of every variable the binary reads, sorted.
func EnvNames() []string {
	var out []string
	for _, s := range AllSettings() {
		out = append(out, s.Env)
	}
	sort.Strings(out)
	return out
}

func settingsOf(t reflect.Type, prefix string) []Setting {
	var out []Setting
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		out = append(out, Setting{
			Env:     prefix + fieldKey(f),
			Flag:    f.Tag.Get("flag"),
			Default: f.Tag.Get("default"),
			Desc:    f.Tag.Get("desc"),
		})
	}
	return out
}

// fieldKey is the variable name envconfig derives for a field.
func fieldKey(f reflect.StructField) string {
	if k := f.Tag.Get("envconfig"); k != "" {
		return k
	}
	return strings.ToUpper(f.Name)
}

// envName is the full IRSA_PROBE_ variable of a Settings field.
func envName(field string) string {
	f, ok := reflect.TypeOf(Settings{}).FieldByName(field)
	if !ok {
		panic("probe: no setting " + field)
	}
	return SettingsPrefix + "_" + fieldKey(f)
}

// lookupEnv is os.LookupEnv, a variable so the proxy evidence can be tested.
var lookupEnv = os.LookupEnv
