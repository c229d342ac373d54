package satoken

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

const realIssuer = ststest.RealEKSIssuerURL

func realToken(t testing.TB, name string) []byte {
	t.Helper()
	return ststest.RealFile(name)
}

func TestParseRealTokens(t *testing.T) {
	for _, tc := range []struct {
		file     string
		aud      []string
		sa, pod  string
		lifetime time.Duration
	}{
		{"valid-irsa.jwt", []string{"sts.amazonaws.com"}, "billing-api", "billing-api-7d9f8b6c5-x2k4q", 315360000 * time.Second},
		{"wrong-audience.jwt", []string{"https://kubernetes.default.svc"}, "billing-api", "billing-api-7d9f8b6c5-x2k4q", 315360000 * time.Second},
		{"pod-identity.jwt", []string{"pods.eks.amazonaws.com"}, "billing-api", "billing-api-7d9f8b6c5-x2k4q", 315360000 * time.Second},
		{"multi-audience.jwt", []string{"sts.amazonaws.com", "https://kubernetes.default.svc"}, "billing-api", "billing-api-7d9f8b6c5-x2k4q", 315360000 * time.Second},
		{"other-serviceaccount-unbound.jwt", []string{"sts.amazonaws.com"}, "default-ish", "", 315360000 * time.Second},
		{"expires-10m.jwt", []string{"sts.amazonaws.com"}, "billing-api", "billing-api-7d9f8b6c5-x2k4q", 600 * time.Second},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tok, err := Parse(realToken(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if tok.Issuer != realIssuer || tok.Namespace != "payments" || tok.ServiceAccount != tc.sa || tok.Pod != tc.pod {
				t.Errorf("claims: %+v", tok)
			}
			if tok.Subject != "system:serviceaccount:payments:"+tc.sa || !tok.SubjectOK() {
				t.Errorf("sub %q", tok.Subject)
			}
			if strings.Join(tok.Audience, ",") != strings.Join(tc.aud, ",") {
				t.Errorf("aud %v, want %v", tok.Audience, tc.aud)
			}
			if got := tok.Expiry.Sub(tok.IssuedAt); got != tc.lifetime {
				t.Errorf("lifetime %s, want %s", got, tc.lifetime)
			}
			if tok.Legacy || tok.Algorithm != "RS256" || tok.KeyID == "" {
				t.Errorf("header/legacy: %+v", tok)
			}
			if p := tok.StructuralProblem(); p != "" {
				t.Errorf("real token flagged: %s", p)
			}
		})
	}
}

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseTokenErrorsNamePart(t *testing.T) {
	hdr := seg(`{"alg":"RS256","kid":"k"}`)
	for _, tc := range []struct {
		name, token, part string
	}{
		{"empty", "\n", "structure"},
		{"two parts", hdr + "." + seg(`{}`), "structure"},
		{"four parts", "a.b.c.d", "structure"},
		{"header not base64", "!!!." + seg(`{}`) + ".c2ln", "header"},
		{"header not json", seg("nope") + "." + seg(`{}`) + ".c2ln", "header"},
		{"payload not base64", hdr + ".%%%.c2ln", "payload"},
		{"payload not json", hdr + "." + seg("[1,2") + ".c2ln", "payload"},
		{"payload an array", hdr + "." + seg(`[1]`) + ".c2ln", "payload"},
		{"payload null", hdr + "." + seg(`null`) + ".c2ln", "payload"},
		{"aud wrong type", hdr + "." + seg(`{"aud":5}`) + ".c2ln", "claims"},
		{"exp wrong type", hdr + "." + seg(`{"exp":"soon"}`) + ".c2ln", "claims"},
		{"signature empty", hdr + "." + seg(`{}`) + ".", "signature"},
		{"signature not base64", hdr + "." + seg(`{}`) + ".***", "signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.token))
			var te *Error
			if !errors.As(err, &te) || te.Part != tc.part {
				t.Fatalf("want a %s error, got %v", tc.part, err)
			}
		})
	}
}

func TestLegacyToken(t *testing.T) {
	legacy := seg(`{"alg":"RS256","kid":"k"}`) + "." + seg(`{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"payments","kubernetes.io/serviceaccount/service-account.name":"billing-api","sub":"system:serviceaccount:payments:billing-api"}`) + ".c2ln"
	tok, err := Parse([]byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Legacy || tok.Namespace != "payments" || tok.ServiceAccount != "billing-api" {
		t.Errorf("%+v", tok)
	}
}

func TestStructuralProblems(t *testing.T) {
	good := func() *Token {
		return &Token{Issuer: realIssuer, Subject: "system:serviceaccount:payments:billing-api", Audience: []string{"sts.amazonaws.com"},
			Expiry: time.Unix(2110713509, 0), Namespace: "payments", ServiceAccount: "billing-api"}
	}
	for _, tc := range []struct {
		name string
		mod  func(*Token)
		want string
	}{
		{"ok", func(*Token) {}, ""},
		{"http issuer", func(t *Token) { t.Issuer = "http://oidc.example" }, "not an https URL"},
		{"bad sub", func(t *Token) { t.Subject = "billing-api" }, "is not system:serviceaccount"},
		{"no exp", func(t *Token) { t.Expiry = time.Time{} }, "no exp"},
		{"no aud", func(t *Token) { t.Audience = nil }, "no aud"},
		{"claims disagree", func(t *Token) { t.ServiceAccount = "other" }, "disagree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := good()
			tc.mod(tok)
			got := tok.StructuralProblem()
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxSize+10), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized file: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "absent")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadFile(dir); err == nil || !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
	if os.Getuid() != 0 {
		locked := filepath.Join(dir, "locked")
		if err := os.WriteFile(locked, []byte("x"), 0o000); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(locked); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("unreadable: %v", err)
		}
	}
}

// FuzzParseToken: a token file is outside input; no input may panic, and a
// parsed token's fields never contain the raw input.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"valid-irsa.jwt", "wrong-audience.jwt", "multi-audience.jwt", "expires-10m.jwt"} {
		f.Add(realToken(f, name))
	}
	f.Add([]byte("a.b.c"))
	f.Add([]byte(seg(`{"alg":"none"}`) + "." + seg(`{"aud":["x",1],"exp":1e400}`) + ".c2ln"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := Parse(b)
		if err != nil {
			return
		}
		_ = tok.StructuralProblem()
		_ = tok.HasAudience("sts.amazonaws.com")
	})
}

// BenchmarkParse: decoding the real projected token.
func BenchmarkParse(b *testing.B) {
	raw := ststest.RealFile(ststest.TokenValidIRSA)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFarFutureClaims: exp far past year 9999 (within 2^63 seconds) is
// clamped to the end of 9999: not expired, and the token still prints.
func TestFarFutureClaims(t *testing.T) {
	for _, exp := range []string{"253402300800", "1e15", "9.2e18"} {
		raw := seg(`{"alg":"RS256","kid":"k"}`) + "." + seg(`{"iss":"https://oidc.example","sub":"system:serviceaccount:a:b","aud":"sts.amazonaws.com","exp":`+exp+`,"iat":-1e9}`) + ".c2ln"
		tok, err := Parse([]byte(raw))
		if err != nil {
			t.Fatalf("exp %s: %v", exp, err)
		}
		if tok.Expiry.Year() != 9999 || !tok.IssuedAt.Equal(time.Unix(0, 0)) {
			t.Errorf("exp %s: Expiry %s, IssuedAt %s", exp, tok.Expiry, tok.IssuedAt)
		}
		if _, err := json.Marshal(tok); err != nil {
			t.Errorf("exp %s: the token no longer encodes: %v", exp, err)
		}
	}
}

// TestAppendedBytes: a JWT followed by anything on further lines is named
// as such (and what follows is never echoed); a JWT with only trailing
// whitespace parses.
func TestAppendedBytes(t *testing.T) {
	jwt := seg(`{"alg":"RS256","kid":"k"}`) + "." + seg(`{"iss":"https://i","exp":2000000000,"aud":["sts.amazonaws.com"]}`) + ".c2ln"
	if _, err := Parse([]byte(jwt + "\n\n")); err != nil {
		t.Fatalf("trailing newlines: %v", err)
	}
	_, err := Parse([]byte(jwt + "\nlevel=INFO msg=secret-ish\n"))
	var te *Error
	if !errors.As(err, &te) || te.Part != "structure" || !strings.Contains(err.Error(), "followed by 25 more bytes on 1 more line(s)") {
		t.Fatalf("want the appended bytes named, got %v", err)
	}
	if strings.Contains(err.Error(), "secret-ish") {
		t.Error("the error echoes the appended bytes")
	}
}

// TestClaimTypes: a payload that is a JSON object but holds a claim of the
// wrong JSON type is named as such (claim, type seen, type wanted), for
// every claim Parse reads and every JSON type; the right types parse.
func TestClaimTypes(t *testing.T) {
	values := map[string]string{"string": `"tomorrow"`, "number": `42`, "object": `{}`, "array": `["a"]`, "boolean": `true`}
	for _, tc := range []struct {
		path []string // the claim, nested in kubernetes.io
		ok   []string // the JSON types accepted
		want string
	}{
		{[]string{"iss"}, []string{"string"}, "a string"},
		{[]string{"sub"}, []string{"string"}, "a string"},
		{[]string{"aud"}, []string{"string", "array"}, "a string or an array of strings"},
		{[]string{"exp"}, []string{"number"}, "a number (NumericDate: seconds since 1970)"},
		{[]string{"iat"}, []string{"number"}, "a number (NumericDate: seconds since 1970)"},
		{[]string{"nbf"}, []string{"number"}, "a number (NumericDate: seconds since 1970)"},
		{[]string{"kubernetes.io"}, []string{"object"}, "an object"},
		{[]string{"kubernetes.io", "namespace"}, []string{"string"}, "a string"},
		{[]string{"kubernetes.io", "pod"}, []string{"object"}, "an object"},
		{[]string{"kubernetes.io", "serviceaccount"}, []string{"object"}, "an object"},
		{[]string{"kubernetes.io", "pod", "name"}, []string{"string"}, "a string"},
		{[]string{"kubernetes.io", "serviceaccount", "name"}, []string{"string"}, "a string"},
	} {
		name := strings.Join(tc.path, ".")
		for kind, v := range values {
			t.Run(name+"/"+kind, func(t *testing.T) {
				payload := v
				for i := len(tc.path) - 1; i >= 0; i-- {
					payload = `{"` + tc.path[i] + `":` + payload + `}`
				}
				_, err := Parse([]byte(seg(`{"alg":"RS256","kid":"k"}`) + "." + seg(payload) + ".c2ln"))
				if slices.Contains(tc.ok, kind) {
					if err != nil {
						t.Fatalf("%s: %v", payload, err)
					}
					return
				}
				want := fmt.Sprintf("claims: claim %q is a JSON %s, want %s", name, kind, tc.want)
				var te *Error
				if !errors.As(err, &te) || te.Part != "claims" || err.Error() != want {
					t.Fatalf("%s: got %v, want %q", payload, err, want)
				}
			})
		}
	}
	t.Run("aud element", func(t *testing.T) {
		_, err := Parse([]byte(seg(`{"alg":"RS256"}`) + "." + seg(`{"aud":["sts.amazonaws.com",{}]}`) + ".c2ln"))
		if want := `claims: claim "aud" element 1 is a JSON object, want a string`; err == nil || err.Error() != want {
			t.Fatalf("got %v, want %q", err, want)
		}
	})
	t.Run("null is absent", func(t *testing.T) {
		tok, err := Parse([]byte(seg(`{"alg":"RS256"}`) + "." + seg(`{"iss":null,"aud":null,"exp":null,"kubernetes.io":{"pod":null}}`) + ".c2ln"))
		if err != nil || tok.Issuer != "" || !tok.Expiry.IsZero() {
			t.Fatalf("got %+v, %v", tok, err)
		}
	})
}

// TestNumericDateOutOfRange: a NumericDate that is not finite (1e999
// overflows a float64) or is past 2^63 seconds either way is malformed,
// naming the claim: never clamped into a token that passes.
func TestNumericDateOutOfRange(t *testing.T) {
	for _, c := range []struct{ claim, v string }{
		{"exp", "1e999"}, {"exp", "-1e999"}, {"exp", "9223372036854775808"}, {"exp", "1.8e19"}, {"iat", "-1e300"}, {"nbf", "1e400"},
	} {
		claims := `{"iss":"https://oidc.example","sub":"system:serviceaccount:a:b","aud":"sts.amazonaws.com","exp":2000000000,"` + c.claim + `":` + c.v + `}`
		if c.claim == "exp" {
			claims = `{"iss":"https://oidc.example","sub":"system:serviceaccount:a:b","aud":"sts.amazonaws.com","exp":` + c.v + `}`
		}
		_, err := Parse([]byte(seg(`{"alg":"RS256","kid":"k"}`) + "." + seg(claims) + ".c2ln"))
		var te *Error
		if !errors.As(err, &te) || te.Part != "claims" || !strings.Contains(err.Error(), `claim "`+c.claim+`"`) {
			t.Errorf("%s=%s: %v, want a claims error naming %s", c.claim, c.v, err, c.claim)
		}
	}
}
