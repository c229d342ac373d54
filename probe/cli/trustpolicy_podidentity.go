package cli

import (
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// printPodIdentityTrust is `trust-policy --pod-identity`: EKS Pod
// Identity's trust policy (the same for every pod) to stdout, the commands
// that apply it and associate the service account to stderr. The service
// account comes from the Pod Identity token when there is one, else from
// the downward API settings.
func printPodIdentityTrust(c *CLI, cfg *config.Config, roleARN string) int {
	ns, sa := cfg.PodNamespace, cfg.ServiceAccount
	for _, f := range []string{cfg.AWS.ContainerAuthTokenFile, cfg.AWS.TokenFile} {
		if f == "" {
			continue
		}
		if raw, err := satoken.ReadFile(f); err == nil {
			if tok, err := satoken.Parse(raw); err == nil && tok.Namespace != "" {
				ns, sa = tok.Namespace, tok.ServiceAccount
				break
			}
		}
	}
	if roleARN == "" {
		roleARN, _, _ = cfg.ExpectedRole()
	}
	name := "ROLE_NAME"
	if role, err := iam.ParseRoleARN(roleARN); err == nil {
		name = role.Name
	} else {
		roleARN = ""
	}
	fmt.Fprintln(c.Stdout, iam.PodIdentityTrustPolicy())
	c.printCommand("apply it with:", applyTrustPolicyArgv(name), name)
	c.printCommand("associate the service account, then recreate its pods:", iam.AssociationArgv("", ns, sa, roleARN), ns, sa, roleARN)
	return verdict.ExitOK
}
