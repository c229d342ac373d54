package ststest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/smithy-go"
)

func eksClient(e *EKS) *eks.Client {
	return eks.New(eks.Options{
		Region: e.Region, BaseEndpoint: aws.String(e.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
	})
}

// TestEKSCreateDeleteDescribe drives the operations the migration plan
// prints through aws-sdk-go-v2's own client: create (once per service
// account, 409 after), list, delete, describe the cluster; the hooks hear
// each change.
func TestEKSCreateDeleteDescribe(t *testing.T) {
	e := NewEKS()
	defer e.Close()
	e.SetIssuer("prod", "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE")
	var heard []string
	e.OnAssociate = func(c, ns, sa, role string) { heard = append(heard, "+"+c+"/"+ns+"/"+sa+"="+role) }
	e.OnDisassociate = func(c, ns, sa string) { heard = append(heard, "-"+c+"/"+ns+"/"+sa) }
	c := eksClient(e)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	dc, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(dc.Cluster.Arn) != "arn:aws:eks:us-west-2:111122223333:cluster/prod" || aws.ToString(dc.Cluster.Identity.Oidc.Issuer) != "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE" {
		t.Errorf("DescribeCluster: %s %s", aws.ToString(dc.Cluster.Arn), aws.ToString(dc.Cluster.Identity.Oidc.Issuer))
	}

	in := &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("prod"), Namespace: aws.String("payments"),
		ServiceAccount: aws.String("billing-api"), RoleArn: aws.String("arn:aws:iam::111122223333:role/billing-api"),
		TargetRoleArn: aws.String("arn:aws:iam::444455556666:role/billing-api"), DisableSessionTags: aws.Bool(true)}
	out, err := c.CreatePodIdentityAssociation(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	a := out.Association
	id := aws.ToString(a.AssociationId)
	if aws.ToString(a.TargetRoleArn) != "arn:aws:iam::444455556666:role/billing-api" || !aws.ToBool(a.DisableSessionTags) || aws.ToString(a.ExternalId) == "" {
		t.Errorf("created %+v", a)
	}
	_, err = c.CreatePodIdentityAssociation(ctx, in)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ResourceInUseException" || api.ErrorMessage() != "Association already exists: "+id {
		t.Errorf("a second association: %v", err)
	}
	l, err := c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), Namespace: aws.String("payments"), ServiceAccount: aws.String("billing-api")})
	if err != nil || len(l.Associations) != 1 || aws.ToString(l.Associations[0].AssociationId) != id {
		t.Fatalf("list: %v %+v", err, l)
	}
	if _, err := c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: aws.String(id)})
	if !errors.As(err, &api) || api.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("deleting it twice: %v", err)
	}
	if want := []string{"+prod/payments/billing-api=arn:aws:iam::111122223333:role/billing-api", "-prod/payments/billing-api"}; !slices.Equal(heard, want) {
		t.Errorf("hooks heard %v, want %v", heard, want)
	}
	_, err = c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("staging"), Namespace: aws.String("a"), ServiceAccount: aws.String("b"), RoleArn: aws.String("arn:aws:iam::111122223333:role/x")})
	if !errors.As(err, &api) || api.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("a cluster that does not exist: %v", err)
	}
}
