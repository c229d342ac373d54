package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// TestInProcessTrustsEveryStack: in-process runs against stacks started one
// after another, each with its own issuer, all verify the token's
// signature over TLS, as the binary does in a fresh process each time.
// With a CA per issuer, crypto/x509 kept the first run's roots and every
// later run's signature step failed on an unknown authority while the
// check still passed.
func TestInProcessTrustsEveryStack(t *testing.T) {
	for i := range 3 {
		st := startStack(t, ststest.StackOptions{})
		o := runOpts{env: runEnv(st, "IRSA_PROBE_VERIFY_SIGNATURE=always"), args: []string{"check"}}
		if !inProcess(o) {
			t.Fatalf("stack %d: a plain stack's run does not qualify for this process", i)
		}
		res := runCLI(t, o)
		want := "[pass]    signature       verified with the issuer's JWKS " + st.Issuer.URL + "/keys"
		if res.exit != verdict.ExitOK || !strings.Contains(res.stdout, want) {
			t.Fatalf("stack %d: exit %d, want %d and %q:\n%s\n%s", i, res.exit, verdict.ExitOK, want, res.stdout, res.stderr)
		}
	}
}

// TestInProcessRefusesWhatThisProcessCannotShow: a run whose environment
// the standard library would read differently in a fresh process runs the
// binary.
func TestInProcessRefusesWhatThisProcessCannotShow(t *testing.T) {
	st := startStack(t, ststest.StackOptions{})
	other := filepath.Join(t.TempDir(), "other-ca.pem")
	front := ststest.NewTLSFront(st.STS.URL, ststest.TLSFrontOptions{})
	t.Cleanup(front.Close)
	if err := front.WriteCAFile(other); err != nil {
		t.Fatal(err)
	}
	copyOfShared := filepath.Join(t.TempDir(), "shared-ca.pem")
	if err := os.WriteFile(copyOfShared, primedCA, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		extra []string
		uid   uint32
		want  bool
	}{
		{"the stack's CA", nil, 0, true},
		{"the shared CA in another file", []string{"SSL_CERT_FILE=" + copyOfShared}, 0, true},
		{"no emulated pod", []string{"SSL_CERT_FILE="}, 0, true},
		{"empty proxy", []string{"HTTPS_PROXY="}, 0, true},
		{"another CA", []string{"SSL_CERT_FILE=" + other}, 0, false},
		{"a missing CA file", []string{"SSL_CERT_FILE=" + filepath.Join(st.Dir, "no-ca")}, 0, false},
		{"a CA directory", []string{"SSL_CERT_DIR=" + st.Dir}, 0, false},
		{"a proxy", []string{"HTTPS_PROXY=http://127.0.0.1:1"}, 0, false},
		{"a lower-case proxy", []string{"no_proxy=*"}, 0, false},
		{"a CGI request", []string{"REQUEST_METHOD=GET"}, 0, false},
		{"another user", nil, 65532, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := inProcess(runOpts{env: runEnv(st, tc.extra...), uid: tc.uid}); got != tc.want {
				t.Errorf("inProcess = %v, want %v", got, tc.want)
			}
		})
	}
}
