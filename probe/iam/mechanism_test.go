package iam

import "testing"

func TestDetectMechanism(t *testing.T) {
	for _, c := range []struct {
		vars []string
		want string
	}{
		{nil, MechanismNone},
		{[]string{EnvRoleARN}, MechanismIRSA},
		{[]string{EnvTokenFile}, MechanismIRSA},
		{[]string{EnvRoleARN, EnvTokenFile}, MechanismIRSA},
		{[]string{EnvFullURI}, MechanismPodIdentity},
		{[]string{EnvAuthTokenFile}, MechanismPodIdentity},
		{[]string{EnvFullURI, EnvAuthTokenFile}, MechanismPodIdentity},
		{[]string{EnvTokenFile, EnvAuthTokenFile}, MechanismBoth},
		{[]string{EnvRoleARN, EnvFullURI}, MechanismBoth},
		{[]string{"AWS_REGION", "AWS_ACCESS_KEY_ID"}, MechanismNone},
	} {
		set := map[string]bool{}
		for _, v := range c.vars {
			set[v] = true
		}
		if got := DetectMechanism(func(n string) bool { return set[n] }); got != c.want {
			t.Errorf("%v: %s, want %s", c.vars, got, c.want)
		}
	}
}
