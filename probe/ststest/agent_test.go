package ststest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAgentWireFormat: the agent's answers are the real agent's, byte for
// byte: plain-text errors with http.Error's newline, credentials as JSON
// with exactly its five keys, which the STS knows.
func TestAgentWireFormat(t *testing.T) {
	st := Start(StackOptions{PodIdentity: true})
	defer st.Close()
	get := func(token string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodGet, st.Agent.URL, nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	tok := st.PodIdentityToken()
	for _, c := range []struct {
		name   string
		fault  AgentFault
		token  string
		status int
		body   string
	}{
		{"empty token", AgentHealthy, "", 400, "Service account token cannot be empty\n"},
		{"not a JWT", AgentHealthy, "abc", 400, "Service account token cannot be parsed: token is malformed: token contains an invalid number of segments\n"},
		{"through a proxy", AgentThroughProxy, tok, 403, "Access Denied. Called agent through invalid address, please use either [169.254.170.23 fd00:ec2::23] address not 127.0.0.1\n"},
		{"rate limit", AgentRateLimited, tok, 429, "Too Many Requests\n"},
	} {
		st.Agent.SetFault(c.fault)
		status, ctype, body := get(c.token)
		if status != c.status || body != c.body || ctype != "text/plain; charset=utf-8" {
			t.Errorf("%s: %d %q %q", c.name, status, ctype, body)
		}
	}
	st.Agent.SetFault(AgentEKSAuthThrottled)
	if status, _, body := get(tok); status != 429 || !strings.HasSuffix(body, "]: (ThrottlingException): Rate exceeded, fault: client\n") || body[0] != '[' {
		t.Errorf("EKS Auth throttling: %d %q", status, body)
	}
	st.Agent.SetFault(AgentHealthy)
	status, ctype, body := get(tok)
	var creds map[string]string
	if err := json.Unmarshal([]byte(body), &creds); err != nil || status != 200 || ctype != "application/json" || len(creds) != 5 {
		t.Fatalf("credentials: %d %q %v", status, ctype, err)
	}
	for _, k := range []string{"AccessKeyId", "SecretAccessKey", "Token", "AccountId", "Expiration"} {
		if creds[k] == "" {
			t.Errorf("no %s", k)
		}
	}
	st.Agent.Disassociate(st.Namespace, st.ServiceAccount)
	if status, _, body := get(tok); status != 404 || !strings.Contains(body, "(ResourceNotFoundException)") {
		t.Errorf("no association: %d %q", status, body)
	}
}
