package ststest

import (
	"crypto/rand"
	"fmt"
)

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	base64ish  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString draws n characters from alphabet. The slight modulo bias is
// irrelevant here: these are test identifiers, not secrets.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("ststest: crypto/rand: %v", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newRequestID returns a random (version 4) UUID, the shape of AWS request ids.
func newRequestID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("ststest: crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newUniqueID returns an IAM unique id: a four-letter type prefix (AROA for a
// role, AIDA for a user, AIPA for an instance profile) and 17 characters.
func newUniqueID(prefix string) string { return prefix + randomString(upperAlnum, 17) }

// newAccessKeyID returns a 20-character access key id: ASIA for temporary
// credentials, AKIA for a long-term key.
func newAccessKeyID(prefix string) string { return prefix + randomString(upperAlnum, 16) }

// newSecretAccessKey returns a 40-character secret like AWS's.
func newSecretAccessKey() string { return randomString(base64ish, 40) }

// newSessionToken returns an opaque session token of realistic length. Real
// ones start with the base64 of a protobuf-ish header ("IQoJb3JpZ2luX2Vj"),
// which some tools sniff, so ours do too.
func newSessionToken() string { return "IQoJb3JpZ2luX2Vj" + randomString(base64ish, 600) }
