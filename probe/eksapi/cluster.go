package eksapi

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// ClusterInfo is what DescribeCluster says of a cluster that the
// migration plan needs: its account (a role of another account chains
// from one of this) and its OIDC issuer (IRSA's trust statement).
type ClusterInfo struct {
	ARN, Account, Issuer string
}

// Cluster describes cluster.
func Cluster(ctx context.Context, cfg aws.Config, cluster string) (ClusterInfo, error) {
	if cfg.Region == "" {
		return ClusterInfo{}, &Error{Kind: KindNoRegion, Cluster: cluster, Err: errors.New("no AWS region: the SDK's default chain found none")}
	}
	out, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return ClusterInfo{}, classify(cluster, cfg.Region, "DescribeCluster", err)
	}
	c := ClusterInfo{ARN: aws.ToString(out.Cluster.Arn)}
	// arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME
	if p := strings.SplitN(c.ARN, ":", 6); len(p) == 6 {
		c.Account = p[4]
	}
	if id := out.Cluster.Identity; id != nil && id.Oidc != nil {
		c.Issuer = aws.ToString(id.Oidc.Issuer)
	}
	return c, nil
}
