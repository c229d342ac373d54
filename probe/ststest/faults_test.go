package ststest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestThrottleThenSuccess: the SDK's standard retryer rides out throttling,
// and Calls counts every attempt.
func TestThrottleThenSuccess(t *testing.T) {
	st := startStack(t, StackOptions{})
	st.STS.Throttle("AssumeRoleWithWebIdentity", 2)
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	})
	c := stsClient(st.STS.URL, nil, retryer)
	if _, err := c.AssumeRoleWithWebIdentity(testContext(t), assumeInput(st.RoleARN, st.Token(), 0)); err != nil {
		t.Fatalf("after 2 throttles: %v", err)
	}
	if got := st.STS.Calls("AssumeRoleWithWebIdentity"); got != 3 {
		t.Errorf("Calls = %d, want 3", got)
	}
}

func TestFaultTimes(t *testing.T) {
	st := startStack(t, StackOptions{})
	ctx := testContext(t)
	tests := []struct {
		name    string
		inject  func()
		results []string // error code per call, "" for success
	}{
		{"throttle twice", func() { st.STS.Throttle("AssumeRoleWithWebIdentity", 2) }, []string{CodeThrottling, CodeThrottling, ""}},
		{"server error once", func() { st.STS.ServerError("AssumeRoleWithWebIdentity", 1) }, []string{CodeInternalFailure, ""}},
		{"forever until cleared", func() { st.STS.Throttle("AssumeRoleWithWebIdentity", 0) }, []string{CodeThrottling, CodeThrottling, CodeThrottling}},
		{"any action", func() { st.STS.SetFault(AnyAction, Fault{Code: "Custom", Message: "custom", Status: 418, Times: 1}) }, []string{"Custom", ""}},
		{"action's own fault first", func() {
			st.STS.SetFault(AnyAction, Fault{Code: "Any", Times: 1})
			st.STS.SetFault("AssumeRoleWithWebIdentity", Fault{Code: "Own", Times: 1})
		}, []string{"Own", "Any", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer st.STS.ClearFaults()
			tt.inject()
			for i, want := range tt.results {
				_, err := assume(ctx, st.STS.URL, st.RoleARN, st.Token())
				got := ""
				var ae smithy.APIError
				if errors.As(err, &ae) {
					got = ae.ErrorCode()
				} else if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if got != want {
					t.Errorf("call %d: %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestFaultDelay(t *testing.T) {
	st := startStack(t, StackOptions{})
	// 20 times the deadline: on a loaded machine a 50 ms timer can fire
	// late, after a shorter delay has run out.
	st.STS.SetFault("AssumeRoleWithWebIdentity", Fault{Delay: time.Second})

	ctx, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
	defer cancel()
	if _, err := assume(ctx, st.STS.URL, st.RoleARN, st.Token()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with a 50ms deadline: %v, want context.DeadlineExceeded", err)
	}

	start := time.Now()
	if _, err := assume(testContext(t), st.STS.URL, st.RoleARN, st.Token()); err != nil {
		t.Fatalf("delayed call: %v", err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("call took %v, want at least the 1s delay", d)
	}
	if got := st.STS.Calls("AssumeRoleWithWebIdentity"); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
}

func TestFaultDrop(t *testing.T) {
	st := startStack(t, StackOptions{})
	st.STS.SetFault("GetCallerIdentity", Fault{Drop: true, Times: 1})
	creds := webIdentityCreds(t, st.STS.URL, st.RoleARN, st.Token())
	ctx := testContext(t)

	_, err := callerIdentity(ctx, st.STS.URL, creds)
	var ae smithy.APIError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("dropped connection: %v, want a transport error", err)
	}
	if _, err := callerIdentity(ctx, st.STS.URL, creds); err != nil {
		t.Errorf("after the drop: %v", err)
	}
	if got := st.STS.Calls("GetCallerIdentity"); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
	if r := st.STS.Requests(); r[1].Status != 0 || r[len(r)-1].Status != 200 {
		t.Errorf("request records: %+v", r)
	}
}

// TestConcurrentReconfiguration changes STS while the SDK is calling it;
// run with -race.
func TestConcurrentReconfiguration(t *testing.T) {
	st := startStack(t, StackOptions{})
	ctx := testContext(t)
	token := st.Token()
	policy := TrustPolicyFor("aws", DefaultAccount, st.Issuer.URL, "payments", "billing-api")

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := stsClient(st.STS.URL, nil, nil)
			for range 10 {
				// Any outcome is fine; the point is no race and no panic.
				_, _ = c.AssumeRoleWithWebIdentity(ctx, assumeInput(st.RoleARN, token, 0))
				_, _ = c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) {
					o.Credentials = aws.AnonymousCredentials{}
				})
			}
		}()
	}
	for i := range 20 {
		st.STS.Throttle("AssumeRoleWithWebIdentity", 1)
		st.STS.SetRegionDisabled(i%2 == 0)
		if err := st.STS.PutRole(st.RoleARN, policy); err != nil {
			t.Error(err)
		}
		st.STS.AddIssuer(st.Issuer, DefaultAccount)
		st.Issuer.SetUnreachable(i%3 == 0)
		st.STS.SetNow(time.Now)
		_ = st.STS.Requests()
		_ = st.STS.LastRequestID()
		st.STS.ClearFaults()
	}
	wg.Wait()
	if got := st.STS.Calls("AssumeRoleWithWebIdentity"); got != 40 {
		t.Errorf("Calls = %d, want 40", got)
	}
}
