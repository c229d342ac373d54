package probe

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigDefaults(t *testing.T) {
	clearEnv(t)
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 30*time.Second || cfg.Audience != DefaultAudience || cfg.Output != "text" ||
		cfg.TerminationLog != "/dev/termination-log" || cfg.Listen != DefaultListen || cfg.Refresh != 5*time.Minute {
		t.Errorf("defaults: %+v", cfg.Settings)
	}
	if cfg.Grace != 10*time.Minute {
		t.Errorf("grace defaults to 2x refresh, got %s", cfg.Grace)
	}
}

func TestLoadConfigReadsWebhookEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/billing-api")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2")
	t.Setenv("IRSA_PROBE_EXPECT_SERVICE_ACCOUNT", "payments:billing-api")
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AWS.RoleARN != "arn:aws:iam::111122223333:role/billing-api" || cfg.AWS.EffectiveRegion() != "eu-west-1" ||
		cfg.AWS.STSEndpointOverride() != "http://127.0.0.1:2" || cfg.ExpectServiceAccount != "payments:billing-api" {
		t.Errorf("got %+v", cfg)
	}
	if cfg.ExpectedRole() != cfg.AWS.RoleARN {
		t.Errorf("expected role defaults to AWS_ROLE_ARN, got %q", cfg.ExpectedRole())
	}
	t.Setenv("AWS_REGION", "us-west-2")
	if cfg, _ = LoadConfig(); cfg.AWS.EffectiveRegion() != "us-west-2" {
		t.Errorf("AWS_REGION wins over AWS_DEFAULT_REGION, got %q", cfg.AWS.EffectiveRegion())
	}
}

func TestConfigUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		env, value string
	}{
		{"IRSA_PROBE_TIMEOUT", "abc"},
		{"IRSA_PROBE_TIMEOUT", "-5s"},
		{"IRSA_PROBE_TIMEOUT", "0s"},
		{"IRSA_PROBE_REFRESH", "forever"},
		{"IRSA_PROBE_GRACE", "-1m"},
		{"IRSA_PROBE_OUTPUT", "yaml"},
		{"IRSA_PROBE_LOG_FORMAT", "logfmt"},
		{"IRSA_PROBE_LOG_LEVEL", "loud"},
		{"IRSA_PROBE_VERIFY_SIGNATURE", "sometimes"},
		{"IRSA_PROBE_EXPECT_ROLE_ARN", "arn:aws:iam::12345:role/x"},
		{"IRSA_PROBE_EXPECT_ROLE_ARN", "billing-api"},
		{"IRSA_PROBE_EXPECT_SERVICE_ACCOUNT", "billing-api"},
		{"IRSA_PROBE_EXPECT_SERVICE_ACCOUNT", "payments:"},
		{"IRSA_PROBE_AUDIENCE", ""},
	} {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tc.env, tc.value)
			cfg, err := LoadConfig()
			if err == nil {
				err = cfg.Validate()
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("want a UsageError, got %v", err)
			}
			if ue.Name != tc.env || !strings.Contains(err.Error(), tc.env) {
				t.Errorf("error must name %s: %v", tc.env, err)
			}
			// Durations are reported normalised (-5s), strings verbatim.
			if !strings.Contains(err.Error(), strings.TrimSuffix(tc.value, "0s")) {
				t.Errorf("error must show the value %q: %v", tc.value, err)
			}
		})
	}
}

func TestEnvNamesCoverSettings(t *testing.T) {
	names := EnvNames()
	for _, want := range []string{"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_STS_REGIONAL_ENDPOINTS", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED", "IRSA_PROBE_TIMEOUT", "IRSA_PROBE_AUDIENCE",
		"IRSA_PROBE_EXPECT_ROLE_ARN", "IRSA_PROBE_EXPECT_SERVICE_ACCOUNT", "IRSA_PROBE_OUTPUT", "IRSA_PROBE_TERMINATION_LOG",
		"IRSA_PROBE_LISTEN", "IRSA_PROBE_REFRESH", "IRSA_PROBE_GRACE", "IRSA_PROBE_LOG_FORMAT", "IRSA_PROBE_LOG_LEVEL"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("EnvNames lacks %s", want)
		}
	}
}

// clearEnv unsets every variable the probe reads, for the test's duration.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, n := range EnvNames() {
		t.Setenv(n, "")
	}
	// envconfig treats "" as set; unsetting restores defaults.
	for _, n := range EnvNames() {
		unsetenv(t, n)
	}
}
