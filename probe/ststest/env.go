package ststest

import (
	"os"
	"strings"
)

// PodEnv is the environment of a subprocess that should see only st's
// world: this process's environment minus anything the probe or the AWS
// SDK reads (AWS_*, IRSA_PROBE_*, SSL_CERT_*, proxies), plus st.Environ()
// (when st is not nil) and IRSA_PROBE_TERMINATION_LOG= (none: a test run
// as root must not write the host's /dev/termination-log), then overrides
// applied in order: "NAME=VALUE" sets NAME, also to "" (which the probe
// and the SDK read as unset, and as "disabled" for the termination log).
func PodEnv(st *Stack, overrides ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "AWS_"), strings.HasPrefix(name, "IRSA_PROBE_"),
			strings.HasPrefix(name, "SSL_CERT"), strings.HasSuffix(strings.ToUpper(name), "_PROXY"):
			continue
		}
		env = append(env, kv)
	}
	if st != nil {
		env = append(env, st.Environ()...)
	}
	env = append(env, "IRSA_PROBE_TERMINATION_LOG=")
	for _, kv := range overrides {
		name, val, _ := strings.Cut(kv, "=")
		kept := env[:0:0]
		for _, e := range env {
			if !strings.HasPrefix(e, name+"=") {
				kept = append(kept, e)
			}
		}
		env = append(kept, name+"="+val)
	}
	return env
}

// SawWebIdentityToken reports whether an AssumeRoleWithWebIdentity request
// carried token: how a test knows the probe re-read a rotated token file.
func (s *STS) SawWebIdentityToken(token string) bool {
	for _, r := range s.Requests() {
		if r.Params.Get("WebIdentityToken") == token {
			return true
		}
	}
	return false
}
