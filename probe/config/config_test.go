package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/iam"
)

func TestLoadConfigDefaults(t *testing.T) {
	clearEnv(t)
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 30*time.Second || cfg.Audience != iam.DefaultAudience || cfg.Output != "text" ||
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
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	if cfg.AWS.RoleARN != "arn:aws:iam::111122223333:role/billing-api" || cfg.AWS.EffectiveRegion() != "eu-west-1" ||
		cfg.AWS.STSEndpointOverride() != "http://127.0.0.1:2" || cfg.ExpectServiceAccount != "payments:billing-api" {
		t.Errorf("got %+v", cfg)
	}
	if got, role, err := cfg.ExpectedRole(); got != cfg.AWS.RoleARN || err != nil || role.Name != "billing-api" {
		t.Errorf("expected role defaults to AWS_ROLE_ARN, got %q %+v %v", got, role, err)
	}
	if got := cfg.STSEndpoint(); got != "http://127.0.0.1:2" {
		t.Errorf("STS endpoint: the STS override wins, got %q", got)
	}
	t.Setenv("AWS_REGION", "us-west-2")
	if cfg, _ = Load(); cfg.AWS.EffectiveRegion() != "us-west-2" {
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
		{"IRSA_PROBE_REFRESH", "5ms"},
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
			cfg, err := Load()
			if err == nil {
				err = cfg.Finish()
			}
			var ue *Error
			if !errors.As(err, &ue) {
				t.Fatalf("want an *Error, got %v", err)
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
		if err := os.Unsetenv(n); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnknownVariableNamesTheClosestSetting(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"IRSA_PROBE_TIMOUT", "did you mean IRSA_PROBE_TIMEOUT?"},
		{"IRSA_PROBE_EXPECT_ROLE", "did you mean IRSA_PROBE_EXPECT_ROLE_ARN?"},
		{"IRSA_PROBE_LOGLEVEL", "did you mean IRSA_PROBE_LOG_LEVEL?"},
		{"IRSA_PROBE_SOMETHING_ELSE_ENTIRELY", "not a setting of irsa-probe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tc.name, "30s")
			_, err := Load()
			var e *Error
			if !errors.As(err, &e) || e.Name != tc.name || !strings.HasSuffix(e.Want, tc.want) {
				t.Fatalf("got %v, want an *Error naming %s ending %q", err, tc.name, tc.want)
			}
			if tc.want == "not a setting of irsa-probe" && strings.Contains(e.Want, "did you mean") {
				t.Errorf("no setting is close to %s, yet: %v", tc.name, err)
			}
		})
	}
}

func TestFlagsOverrideTheEnvironment(t *testing.T) {
	clearEnv(t)
	t.Setenv("IRSA_PROBE_TIMEOUT", "20s")
	t.Setenv("IRSA_PROBE_OUTPUT", "json")
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fl := cfg.BindFlags(fs, "check")
	if fs.Lookup("refresh") != nil || fs.Lookup("listen") != nil {
		t.Error("check has serve's flags")
	}
	if err := fs.Parse([]string{"--timeout=5s", "-output", "yaml"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 5*time.Second || cfg.Output != "yaml" {
		t.Errorf("flags did not win: %+v", cfg.Settings)
	}
	err = cfg.Finish()
	if err == nil || err.Error() != `--output="yaml": must be one of text, json` || fl.Err() != nil {
		t.Errorf("validation must name the flag the value came from: %v", err)
	}

	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fl = cfg.BindFlags(fs, "serve")
	if err := fs.Parse([]string{"--refresh=abc"}); err == nil {
		t.Fatal("a bad duration parsed")
	}
	if got := fmt.Sprint(fl.Err()); got != `--refresh="abc": not a duration (use e.g. 30s)` {
		t.Errorf("flag value error: %s", got)
	}
}

func TestTableMatchesTheStructs(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Table() {
		if seen[s.Env] {
			t.Errorf("%s twice", s.Env)
		}
		seen[s.Env] = true
		if s.Desc == "" {
			t.Errorf("%s has no description", s.Env)
		}
		if (s.Flag == "") != (len(s.Commands) == 0) {
			t.Errorf("%s: a flag needs the commands that have it, and only a flag has commands", s.Env)
		}
		for _, c := range s.Commands {
			if !contains([]string{"check", "serve", "trust-policy"}, c) {
				t.Errorf("%s: unknown command %q", s.Env, c)
			}
		}
	}
	if len(seen) != reflect.TypeOf(AWS{}).NumField()+reflect.TypeOf(Settings{}).NumField() {
		t.Errorf("the table has %d rows for %d fields", len(seen), reflect.TypeOf(AWS{}).NumField()+reflect.TypeOf(Settings{}).NumField())
	}
}
