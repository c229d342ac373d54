package kube

import (
	"fmt"
	"path"
	"strings"
)

// The token variables the EKS pod identity webhook sets, and where it
// mounts each token's volume (amazon-eks-pod-identity-webhook, pkg/handler:
// the aws-iam-token and eks-pod-identity-token projected volumes, mounted
// on their directories, never with subPath).
var tokenEnvs = []string{"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}

// StaleTokenMount is a container whose token, as its pod spec says, never
// receives kubelet's rotations.
type StaleTokenMount struct {
	Container string
	// Volume is the projected token volume concerned; MountPath where the
	// container mounts it (or "" when it does not).
	Volume, MountPath string
	// TokenFile is the path the container's environment names ("" when
	// the mount alone is the problem).
	TokenFile string
	// Why says what in the spec keeps the token from rotating.
	Why string
}

// StaleTokenMounts reads p's spec for containers whose token never
// rotates: a projected token volume mounted with subPath (the container
// runtime binds the one file kubelet wrote first; kubelet's rotation
// writes a new directory and swaps a symlink the bind never follows), or
// a token variable naming a file on no mount of a token volume (a copy,
// which nothing rewrites). Only what the spec shows is judged: a value
// from valueFrom, or a volume of another kind, is not.
func StaleTokenMounts(p *Pod) []StaleTokenMount {
	tokens := map[string]bool{}
	for _, v := range p.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				tokens[v.Name] = true
			}
		}
	}
	if len(tokens) == 0 {
		return nil
	}
	var out []StaleTokenMount
	for _, c := range append(append([]Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		var dirs []string // mounts of token volumes without subPath
		for _, m := range c.VolumeMounts {
			if !tokens[m.Name] {
				continue
			}
			sub := m.SubPath
			if sub == "" {
				sub = m.SubPathExpr
			}
			if sub != "" {
				out = append(out, StaleTokenMount{Container: c.Name, Volume: m.Name, MountPath: m.MountPath,
					Why: fmt.Sprintf("mounts volume %s with subPath %s at %s", m.Name, sub, m.MountPath)})
				continue
			}
			dirs = append(dirs, path.Clean(m.MountPath))
		}
		for _, e := range c.Env {
			if !isTokenEnv(e.Name) || e.Value == "" || !path.IsAbs(e.Value) {
				continue
			}
			f := path.Clean(e.Value)
			on := false
			for _, d := range dirs {
				if strings.HasPrefix(f, d+"/") {
					on = true
				}
			}
			if !on && !subPathAt(c, tokens, f) {
				out = append(out, StaleTokenMount{Container: c.Name, TokenFile: f,
					Why: fmt.Sprintf("%s=%s is on no mount of a projected token volume: a copy, which kubelet never rewrites", e.Name, f)})
			}
		}
	}
	return out
}

func isTokenEnv(name string) bool {
	for _, n := range tokenEnvs {
		if n == name {
			return true
		}
	}
	return false
}

// subPathAt says whether f is on a subPath mount of a token volume in c:
// that one is already reported as such.
func subPathAt(c Container, tokens map[string]bool, f string) bool {
	for _, m := range c.VolumeMounts {
		mp := path.Clean(m.MountPath)
		if tokens[m.Name] && (m.SubPath != "" || m.SubPathExpr != "") && (mp == f || strings.HasPrefix(f, mp+"/")) {
			return true
		}
	}
	return false
}
