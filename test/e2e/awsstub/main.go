// Command awsstub is a CLI-shaped stand-in for the AWS CLI in the
// end-to-end suite, which has no AWS CLI recent enough for EKS Pod
// Identity: it takes the command lines irsa-probe's migration plan prints
// (aws eks create-pod-identity-association, list-pod-identity-associations
// --query 'associations[].associationId' --output text,
// delete-pod-identity-association; aws iam get-role --output json,
// update-assume-role-policy) and sends them with aws-sdk-go-v2 (EKS) or
// signed query requests (IAM) to AWS_ENDPOINT_URL_EKS and
// AWS_ENDPOINT_URL_IAM, the suite's doubles on 127.0.0.1. Anything else is
// refused as the CLI refuses an unknown choice (exit 252), so a plan that
// printed another command fails its test.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// The CLI's exit codes: 252 a command line it does not parse, 254 an
// error the service answered, 255 any other failure.
const (
	exitUsage   = 252
	exitService = 254
	exitOther   = 255
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintln(stderr, "usage: aws SERVICE OPERATION [--option value]...")
		return exitUsage
	}
	svc, op := args[0], args[1]
	opts, flags, err := parse(args[2:])
	if err != nil {
		fmt.Fprintln(stderr, "aws: error:", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var lo []func(*config.LoadOptions) error
	if r := opts["region"]; r != "" {
		lo = append(lo, config.WithRegion(r))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitOther
	}
	if cfg.Region == "" {
		fmt.Fprintln(stderr, `You must specify a region. You can also configure your region by running "aws configure".`)
		return exitOther
	}
	switch svc + " " + op {
	case "eks create-pod-identity-association":
		err = need(opts, "cluster-name", "namespace", "service-account", "role-arn")
		if err == nil {
			in := &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(opts["cluster-name"]), Namespace: aws.String(opts["namespace"]),
				ServiceAccount: aws.String(opts["service-account"]), RoleArn: aws.String(opts["role-arn"])}
			if v := opts["target-role-arn"]; v != "" {
				in.TargetRoleArn = aws.String(v)
			}
			if flags["disable-session-tags"] {
				in.DisableSessionTags = aws.Bool(true)
			}
			var out *eks.CreatePodIdentityAssociationOutput
			if out, err = eks.NewFromConfig(cfg).CreatePodIdentityAssociation(ctx, in); err == nil {
				err = printJSON(stdout, map[string]any{"association": out.Association})
			}
		}
	case "eks list-pod-identity-associations":
		err = need(opts, "cluster-name")
		if err == nil && (opts["query"] != "associations[].associationId" || opts["output"] != "text") {
			fmt.Fprintln(stderr, "aws: error: this stand-in answers only --query 'associations[].associationId' --output text")
			return exitUsage
		}
		if err == nil {
			in := &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(opts["cluster-name"])}
			if v := opts["namespace"]; v != "" {
				in.Namespace = aws.String(v)
			}
			if v := opts["service-account"]; v != "" {
				in.ServiceAccount = aws.String(v)
			}
			var ids []string
			for p := eks.NewListPodIdentityAssociationsPaginator(eks.NewFromConfig(cfg), in); p.HasMorePages() && err == nil; {
				var page *eks.ListPodIdentityAssociationsOutput
				if page, err = p.NextPage(ctx); err == nil {
					for _, a := range page.Associations {
						ids = append(ids, aws.ToString(a.AssociationId))
					}
				}
			}
			if err == nil && len(ids) > 0 {
				// The CLI's text output: a list's values on one line, tab-separated.
				fmt.Fprintln(stdout, strings.Join(ids, "\t"))
			}
		}
	case "eks delete-pod-identity-association":
		err = need(opts, "cluster-name", "association-id")
		if err == nil {
			var out *eks.DeletePodIdentityAssociationOutput
			if out, err = eks.NewFromConfig(cfg).DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{
				ClusterName: aws.String(opts["cluster-name"]), AssociationId: aws.String(opts["association-id"])}); err == nil {
				err = printJSON(stdout, map[string]any{"association": out.Association})
			}
		}
	case "iam get-role":
		err = need(opts, "role-name")
		if err == nil {
			err = getRole(ctx, cfg, opts["role-name"], stdout)
		}
	case "iam update-assume-role-policy":
		err = need(opts, "role-name", "policy-document")
		if err == nil {
			_, err = iamCall(ctx, cfg, url.Values{"Action": {"UpdateAssumeRolePolicy"}, "RoleName": {opts["role-name"]}, "PolicyDocument": {opts["policy-document"]}})
		}
	default:
		fmt.Fprintf(stderr, "aws: error: argument operation: Invalid choice: %s %s (this stand-in knows the migration plan's commands only)\n", svc, op)
		return exitUsage
	}
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "aws: error:", err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "An error occurred when calling the %s operation: %v\n", op, err)
		return exitService
	}
	return 0
}

type usageError string

func (e usageError) Error() string { return string(e) }

// parse reads --name value and --flag options; a value-less option is a
// flag only when it is one the commands have.
func parse(args []string) (map[string]string, map[string]bool, error) {
	opts, flags := map[string]string{}, map[string]bool{}
	for i := 0; i < len(args); i++ {
		name, ok := strings.CutPrefix(args[i], "--")
		if !ok {
			return nil, nil, usageError("unexpected argument " + args[i])
		}
		if name == "disable-session-tags" {
			flags[name] = true
			continue
		}
		if i+1 >= len(args) {
			return nil, nil, usageError("argument --" + name + ": expected one argument")
		}
		opts[name] = args[i+1]
		i++
	}
	return opts, flags, nil
}

func need(opts map[string]string, names ...string) error {
	var missing []string
	for _, n := range names {
		if opts[n] == "" {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usageError("the following arguments are required: " + strings.Join(missing, ", "))
	}
	return nil
}

// printJSON prints v as the CLI does: indented by four, keys in the API's
// camelCase (the SDK's structs marshal as their Go field names).
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	b, err = json.MarshalIndent(camel(m), "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// getRole prints get-role's --output json, the policy decoded as the CLI
// decodes it.
func getRole(ctx context.Context, cfg aws.Config, name string, w io.Writer) error {
	body, err := iamCall(ctx, cfg, url.Values{"Action": {"GetRole"}, "RoleName": {name}})
	if err != nil {
		return err
	}
	var r struct {
		Role struct {
			Path, RoleName, RoleId, Arn, CreateDate, AssumeRolePolicyDocument string
			MaxSessionDuration                                                int
		} `xml:"GetRoleResult>Role"`
	}
	if err := xml.Unmarshal(body, &r); err != nil {
		return err
	}
	doc, err := url.QueryUnescape(r.Role.AssumeRolePolicyDocument)
	if err != nil {
		return err
	}
	return printJSON(w, map[string]any{"Role": map[string]any{
		"Path": r.Role.Path, "RoleName": r.Role.RoleName, "RoleId": r.Role.RoleId, "Arn": r.Role.Arn, "CreateDate": r.Role.CreateDate,
		"AssumeRolePolicyDocument": json.RawMessage(doc), "MaxSessionDuration": r.Role.MaxSessionDuration,
	}})
}

// iamCall posts a signed IAM query request to AWS_ENDPOINT_URL_IAM.
func iamCall(ctx context.Context, cfg aws.Config, form url.Values) ([]byte, error) {
	endpoint := os.Getenv("AWS_ENDPOINT_URL_IAM")
	if endpoint == "" {
		return nil, errors.New("AWS_ENDPOINT_URL_IAM is not set: this stand-in talks to the suite's IAM double only")
	}
	form.Set("Version", "2010-05-08")
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		_ = xml.Unmarshal(b, &e)
		return nil, fmt.Errorf("(%s) %s", e.Code, e.Message)
	}
	return b, nil
}

// camel lower-cases the first letter of every key below the top (the
// top's are the API's already: association, Role).
func camel(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, x := range m {
		if inner, ok := x.(map[string]any); ok {
			c := map[string]any{}
			for ik, iv := range inner {
				if iv == nil {
					continue
				}
				if ik != "" && ik[0] >= 'A' && ik[0] <= 'Z' && k == "association" {
					ik = strings.ToLower(ik[:1]) + ik[1:]
				}
				c[ik] = iv
			}
			x = c
		}
		out[k] = x
	}
	return out
}
