package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// startMoto starts moto_server, an STS implementation independent of ours.
// In CI it must run: a missing moto_server fails the test there.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("moto_server is not installed: %v", err)
		}
		t.Skip("moto_server is not installed (pip install 'moto[server]')")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not start on %s: %v", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCheckAgainstMoto: the real SDK calls in the built binary against an
// independent STS, with a real token from a real kube-apiserver.
func TestCheckAgainstMoto(t *testing.T) {
	url := startMoto(t)
	dir := t.TempDir()
	tok := ststest.RealFile(ststest.TokenValidIRSA)
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, tok, 0o600); err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::123456789012:role/billing-api"
	env := runEnv(nil,
		"AWS_ROLE_ARN="+role,
		"AWS_WEB_IDENTITY_TOKEN_FILE="+tokenFile,
		"AWS_REGION=us-west-2",
		"AWS_DEFAULT_REGION=us-west-2",
		"AWS_STS_REGIONAL_ENDPOINTS=regional",
		"AWS_ENDPOINT_URL_STS="+url,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		// The real token's issuer is the real EKS one, not reachable here.
		"IRSA_PROBE_VERIFY_SIGNATURE=never",
		"IRSA_PROBE_TERMINATION_LOG=",
		"IRSA_PROBE_OUTPUT=json",
	)
	res := runBinary(t, runOpts{env: env, args: []string{"check"}})
	if res.exit != verdict.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", res.exit, res.stdout, res.stderr)
	}
	var rep check.Report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Identity == nil || !strings.HasPrefix(rep.Identity.ARN, "arn:aws:sts::123456789012:assumed-role/billing-api/") {
		t.Fatalf("identity %+v\n%s", rep.Identity, res.stdout)
	}
	if rep.Identity.Account != "123456789012" {
		t.Errorf("account %q", rep.Identity.Account)
	}
	if strings.Contains(res.stdout+res.stderr, strings.TrimSpace(string(tok))) {
		t.Error("the token appears in the output")
	}
}
