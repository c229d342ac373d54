package config

import "testing"

func TestHoldsPEMCertificate(t *testing.T) {
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	key := "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
	for _, tc := range []struct {
		name string
		in   string
		want bool
	}{
		{"a certificate", cert, true},
		{"after a key and text", "# corporate CA\n" + key + cert, true},
		{"a key only", key, false},
		{"text", "not PEM at all\n", false},
		{"empty", "", false},
		{"a certificate with headers", "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nMIIB\n-----END CERTIFICATE-----\n", false},
	} {
		if got := holdsPEMCertificate([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
