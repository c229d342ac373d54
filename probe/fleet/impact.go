package fleet

import (
	"fmt"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/policy"
)

// PolicyChange is a proposed trust policy for a role (--trust-policy
// ROLE=FILE): ROLE is the role's name or ARN.
type PolicyChange struct {
	Role string
	File string
	Doc  *policy.Document
}

// Impact verdicts.
const (
	ImpactKeeps = "keeps"
	ImpactLoses = "loses"
	// ImpactUnknown: the policy cannot be evaluated for this identity
	// (IRSA without the cluster's issuer).
	ImpactUnknown = "unknown"
)

// ImpactResult is what a proposed policy does to one identity.
type ImpactResult struct {
	Role           string `json:"role"`
	File           string `json:"file"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	Mechanism      string `json:"mechanism"`
	Verdict        string `json:"verdict"`
	// Code, Line and Why are the first reason the policy denies: its
	// stable code (package policy's) and the policy line it is about.
	Code string `json:"code,omitempty"`
	Line int    `json:"line,omitempty"`
	Why  string `json:"why,omitempty"`
	Pods int    `json:"pods"`
}

// Impact evaluates each proposed policy for every identity that uses its
// role, by annotation and (when read) by association, with the cluster's
// issuer for IRSA. No AWS call: package policy's evaluator decides. A
// role no identity uses yields one result with no service account.
func Impact(inv *Inventory, changes []PolicyChange, issuer string) []ImpactResult {
	var out []ImpactResult
	for _, ch := range changes {
		n := 0
		for _, id := range inv.Identities {
			for _, use := range []struct {
				arn  string
				mech string
			}{{id.RoleARN, iam.MechanismIRSA}, {assocRole(id), iam.MechanismPodIdentity}} {
				r, err := iam.ParseRoleARN(use.arn)
				if err != nil || !roleMatches(ch.Role, r) {
					continue
				}
				n++
				out = append(out, impactOf(ch, id, r, use.mech, issuer))
			}
		}
		if n == 0 {
			out = append(out, ImpactResult{Role: ch.Role, File: ch.File, Verdict: ImpactKeeps, Why: "no service account in the listed scope uses this role"})
		}
	}
	return out
}

func assocRole(id *Identity) string {
	if id.Association == nil {
		return ""
	}
	return id.Association.RoleARN
}

// roleMatches: role is r's ARN, or its name (IAM role names are unique
// case-insensitively within an account).
func roleMatches(role string, r iam.RoleARN) bool {
	if strings.HasPrefix(role, "arn:") {
		o, err := iam.ParseRoleARN(role)
		return err == nil && o.Account == r.Account && o.Partition == r.Partition && strings.EqualFold(o.Name, r.Name)
	}
	return strings.EqualFold(role, r.Name)
}

func impactOf(ch PolicyChange, id *Identity, r iam.RoleARN, mech, issuer string) ImpactResult {
	res := ImpactResult{Role: ch.Role, File: ch.File, Namespace: id.Namespace, ServiceAccount: id.ServiceAccount, Mechanism: mech, Pods: len(id.Pods)}
	req := policy.Request{Partition: r.Partition, Account: r.Account, Subject: "system:serviceaccount:" + id.Namespace + ":" + id.ServiceAccount}
	if mech == iam.MechanismPodIdentity {
		req.PodIdentity = true
	} else {
		if issuer == "" {
			res.Verdict, res.Why = ImpactUnknown, "the cluster's issuer is unknown: pass --issuer"
			return res
		}
		req.Issuer = issuer
		req.Audience = id.Audience
		if req.Audience == "" {
			req.Audience = iam.DefaultAudience
		}
	}
	e := policy.Explain(ch.Doc, req)
	if e.Verdict == policy.Allows {
		res.Verdict = ImpactKeeps
		return res
	}
	res.Verdict = ImpactLoses
	if len(e.Reasons) > 0 {
		w := e.Reasons[0]
		res.Code, res.Line = w.Code, w.Line
		res.Why = finding.Escape(w.Message)
		if w.Line > 0 {
			res.Why = fmt.Sprintf("line %d: %s", w.Line, res.Why)
		}
	}
	return res
}
