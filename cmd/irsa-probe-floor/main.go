// Command irsa-probe-floor is the cost floor `make cost` measures the probe
// against: a bare aws-sdk-go-v2 program that does what an application's
// first AWS call does with IRSA, and what a passing check proves: the
// SDK's default chain (AssumeRoleWithWebIdentity with the projected
// token) and GetCallerIdentity. It is not shipped.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "irsa-probe-floor:", err)
		os.Exit(1)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "irsa-probe-floor:", err)
		os.Exit(1)
	}
	fmt.Println(*out.Arn)
}
