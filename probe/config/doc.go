// Package config is everything a run of irsa-probe reads: the AWS
// environment the EKS pod identity webhook injects (AWS_ROLE_ARN,
// AWS_WEB_IDENTITY_TOKEN_FILE, the region, endpoint overrides) and the
// probe's own IRSA_PROBE_* settings, some of them also flags.
//
// The struct tags of AWS and Settings are the one table of settings:
// envconfig reads the environment from them, and Table derives, once, what
// the flags, --help and the manual's settings table (docs/settings.md) show. Load reads the
// environment, BindFlags lays a command's flags over it, and Finish applies
// the defaults that depend on other settings and validates. Every mistake
// is an *Error naming the variable or flag and the value.
package config
