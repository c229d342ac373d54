package eksapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/smithy-go"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

// describeParallel bounds concurrent DescribePodIdentityAssociation
// calls: EKS's API rate is per account and shared with everything else.
const describeParallel = 5

// Load is the SDK's default configuration (region and credentials), with
// region when given, a standard retryer that waits out throttling (up to
// 8 attempts, 5 s between them at most) and an HTTP client with its own
// dial and header deadlines; the caller's context bounds the whole.
func Load(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts, o.MaxBackoff = 8, 5*time.Second })
		}),
		// A BuildableClient, so AWS_CA_BUNDLE still applies.
		config.WithHTTPClient(awshttp.NewBuildableClient().
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = 5 * time.Second }).
			WithTransportOptions(func(tr *http.Transport) {
				tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout = 5*time.Second, 15*time.Second
			})),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}

// Associations lists cluster's associations, of namespace only when it
// is not empty, each with its role.
func Associations(ctx context.Context, cfg aws.Config, cluster, namespace string) ([]fleet.Association, error) {
	if cfg.Region == "" {
		return nil, &Error{Kind: KindNoRegion, Cluster: cluster, Err: errors.New("no AWS region: the SDK's default chain found none")}
	}
	c := eks.NewFromConfig(cfg)
	in := &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster)}
	if namespace != "" {
		in.Namespace = aws.String(namespace)
	}
	var ids []string
	for p := eks.NewListPodIdentityAssociationsPaginator(c, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(cluster, cfg.Region, "ListPodIdentityAssociations", err)
		}
		for _, a := range page.Associations {
			ids = append(ids, aws.ToString(a.AssociationId))
		}
	}
	out := make([]fleet.Association, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, describeParallel)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, err := c.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
			if err != nil {
				errs[i] = classify(cluster, cfg.Region, "DescribePodIdentityAssociation", err)
				return
			}
			a := d.Association
			out[i] = fleet.Association{Namespace: aws.ToString(a.Namespace), ServiceAccount: aws.ToString(a.ServiceAccount), RoleARN: aws.ToString(a.RoleArn), ID: id}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Kinds of failure, each with its own fix.
const (
	KindNoRegion      = "no-region"
	KindNoCredentials = "no-credentials"
	KindDenied        = "access-denied"
	KindNoCluster     = "no-cluster"
	KindThrottled     = "throttled"
	KindTimeout       = "timeout"
	KindOther         = "failed"
)

// Error is a failure to read the associations.
type Error struct {
	Kind, Cluster, Region, Operation string
	Err                              error
}

func (e *Error) Error() string {
	if e.Operation == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s: %v", e.Operation, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Fix is what to do about it: prose lines, and commands (rendered by
// package shellcmd) on lines of their own, two spaces in.
func (e *Error) Fix() string {
	switch e.Kind {
	case KindNoRegion:
		return "pass --region REGION (the cluster's), or set AWS_REGION"
	case KindNoCredentials:
		return "give the workstation AWS credentials (aws configure, aws sso login, or AWS_PROFILE=NAME), then check them:\n  aws sts get-caller-identity"
	case KindDenied:
		return fmt.Sprintf("allow eks:ListPodIdentityAssociations and eks:DescribePodIdentityAssociation on arn:aws:eks:%s:ACCOUNT_ID:cluster/%s to the caller named above", finding.Escape(e.Region), finding.Escape(e.Cluster))
	case KindNoCluster:
		line, err := shellcmd.Line("aws", "eks", "list-clusters", "--region", e.Region)
		if err != nil {
			return "check the name and region (" + err.Error() + ")"
		}
		return "check the name and region:\n  " + line
	case KindThrottled, KindTimeout:
		return "try again later, or with a longer --timeout"
	}
	return ""
}

func classify(cluster, region, op string, err error) error {
	e := &Error{Kind: KindOther, Cluster: cluster, Region: region, Operation: op, Err: err}
	var api smithy.APIError
	var re *retry.MaxAttemptsError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e.Kind = KindTimeout
	case errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException":
		e.Kind = KindDenied
	case errors.As(err, &api) && api.ErrorCode() == "ResourceNotFoundException":
		e.Kind = KindNoCluster
	case errors.As(err, &api) && api.ErrorCode() == "ThrottlingException", errors.As(err, &re):
		e.Kind = KindThrottled
	case isNoCredentials(err):
		e.Kind = KindNoCredentials
	}
	return e
}

// isNoCredentials: the default chain found nothing to sign with (the
// SDK's wording: "failed to refresh cached credentials, no EC2 IMDS role
// found, …").
func isNoCredentials(err error) bool {
	return strings.Contains(err.Error(), "failed to refresh cached credentials") || strings.Contains(err.Error(), "failed to retrieve credentials")
}
