package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// stsLoop calls GetCallerIdentity every interval until SIGTERM, each time
// through a fresh default chain (config.LoadDefaultConfig): every call
// reads the token file and asks STS for credentials, so a token that is
// not rotated fails the first call after it expires, not an hour later
// when cached credentials would. Each line says, in the suite's terms,
// what the token file held (its iat and exp claims, never the token) and
// whether the call worked:
//
//	TIME token iat=UNIX exp=UNIX
//	TIME ok ARN | TIME FAIL ERROR
func stsLoop(every time.Duration) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	for {
		now := time.Now().UTC().Format(time.RFC3339)
		if iat, exp, err := tokenClaims(os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE")); err != nil {
			fmt.Printf("%s token error %v\n", now, err)
		} else {
			fmt.Printf("%s token iat=%d exp=%d\n", now, iat, exp)
		}
		if arn, err := callerIdentity(ctx); err != nil {
			fmt.Printf("%s FAIL %s\n", now, strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Printf("%s ok %s\n", now, arn)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func callerIdentity(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return "", err
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return *out.Arn, nil
}

// tokenClaims reads the iat and exp claims of the JWT in file, unverified.
func tokenClaims(file string) (iat, exp int64, err error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, err
	}
	parts := strings.Split(strings.TrimSpace(string(raw)), ".")
	if len(parts) != 3 {
		return 0, 0, fmt.Errorf("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, 0, err
	}
	var c struct{ Iat, Exp int64 }
	if err := json.Unmarshal(b, &c); err != nil {
		return 0, 0, err
	}
	return c.Iat, c.Exp, nil
}
