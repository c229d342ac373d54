package ekswebhook

import (
	"context"
	"encoding/csv"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// What amazon-eks-pod-identity-webhook injects, as EKS runs it. Each value
// is the source's (aws/amazon-eks-pod-identity-webhook): main.go's flag
// defaults, pkg/annotations.go, pkg/constants.go and
// pkg/handler/handler.go's NewModifier.
const (
	// Service account annotations (pkg/annotations.go, prefix
	// --annotation-prefix=eks.amazonaws.com).
	EKSRoleARNAnnotation         = "eks.amazonaws.com/role-arn"
	EKSAudienceAnnotation        = "eks.amazonaws.com/audience"
	EKSRegionalSTSAnnotation     = "eks.amazonaws.com/sts-regional-endpoints"
	EKSTokenExpirationAnnotation = "eks.amazonaws.com/token-expiration" // on the pod too, which wins
	// EKSSkipContainersAnnotation is the pod annotation listing, as one CSV
	// record, containers the webhook leaves alone.
	EKSSkipContainersAnnotation = "eks.amazonaws.com/skip-containers"
	// EKSSkipPodLabel excludes a pod through the registration's
	// objectSelector (DoesNotExist): the webhook never sees it.
	EKSSkipPodLabel = "eks.amazonaws.com/skip-pod-identity-webhook"
	// EKSPodIdentityLabel=enabled is added to a pod given Pod Identity.
	EKSPodIdentityLabel = "eks.amazonaws.com/pod-identity"

	// IRSA (STS web identity): --token-audience, --token-mount-path, and
	// NewModifier's volume and file names.
	IRSAAudience  = "sts.amazonaws.com"
	IRSAVolume    = "aws-iam-token"
	IRSAMountPath = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	IRSATokenFile = IRSAMountPath + "/token"

	// EKS Pod Identity (container credentials): the
	// --container-credentials-* flags' defaults (the audience:
	// ststest.PodIdentityAudience).
	PodIdentityVolume    = "eks-pod-identity-token"
	PodIdentityMountPath = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
	PodIdentityTokenFile = PodIdentityMountPath + "/eks-pod-identity-token"
	PodIdentityAgentURI  = "http://" + ststest.PodIdentityAgentIPv4 + "/v1/credentials"

	// Token lifetimes (pkg/constants.go): the default, the floor a smaller
	// annotation is raised to, and the lower end of the jitter a Pod
	// Identity token of the default lifetime gets.
	eksDefaultTokenExpiration    = int64(86400)
	eksMinTokenExpiration        = int64(600)
	eksDefaultMinTokenExpiration = int64(79200)
)

// EKSWebhook mutates pods as amazon-eks-pod-identity-webhook does at pod
// creation on EKS (--aws-default-region set, --sts-regional-endpoint=true):
// the one place this project writes that down. Mutate applies it to a pod
// in place; ServeHTTP serves it as the admission webhook that
// Configuration registers. Windows pods get the token path in Windows form,
// as upstream; the ConfigMap-based service account source
// (--watch-config-map) and --compose-role-arn are left out.
type EKSWebhook struct {
	// Region is --aws-default-region: AWS_DEFAULT_REGION and AWS_REGION,
	// unless a container sets either. Empty: neither is added.
	Region string
	// ServiceAccount returns the pod's service account for ServeHTTP (EKS's
	// webhook reads an informer cache); nil, nil when it does not exist.
	// nil: every service account is missing.
	ServiceAccount func(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	// PodIdentityAssociation returns the role of the pod's EKS Pod Identity
	// association, if any (EKS writes the associations into the file of
	// --watch-container-credentials-config). nil: no associations.
	// PodIdentityAgent.Association fits.
	PodIdentityAssociation func(namespace, serviceAccount string) (roleARN string, ok bool)
	// AgentURI replaces PodIdentityAgentURI in AWS_CONTAINER_CREDENTIALS_FULL_URI
	// (tests: a PodIdentityAgent's URL).
	AgentURI string
	// Env is added after the identity variables of every container the
	// webhook mutates, minus names the container sets, so that nothing
	// reaches a real AWS address (AWS_ENDPOINT_URL_STS on 127.0.0.1,
	// AWS_EC2_METADATA_DISABLED=true, …). Empty for a simulated real EKS.
	Env []corev1.EnvVar
	// Rand draws the jitter of a Pod Identity token of the default
	// lifetime (uniform in [79200, 86400] seconds); nil: math/rand/v2's.
	// A *rand.Rand is not safe for concurrent use: leave it nil when
	// ServeHTTP serves requests in parallel.
	Rand *rand.Rand
}

// patchConfig is upstream's podPatchConfig: what buildPodPatchConfig
// decides for one pod.
type patchConfig struct {
	skip        map[string]bool
	expiration  int64
	regionalSTS bool
	audience    string
	mountPath   string
	volume      string
	tokenPath   string
	roleARN     string // IRSA
	fullURI     string // Pod Identity: takes precedence
}

// Mutate applies the webhook's mutation to pod in place; sa is the pod's
// service account (nil: not found). A pod carrying EKSSkipPodLabel is left
// alone, as the registration's objectSelector does. pod.Namespace is the
// namespace the pod is created in.
func (w *EKSWebhook) Mutate(pod *corev1.Pod, sa *corev1.ServiceAccount) {
	w.mutate(pod, sa)
}

// mutate returns the patch configuration it applied, nil when none.
func (w *EKSWebhook) mutate(pod *corev1.Pod, sa *corev1.ServiceAccount) *patchConfig {
	if _, ok := pod.Labels[EKSSkipPodLabel]; ok {
		return nil
	}
	pc := w.patchConfig(pod, sa)
	if pc == nil {
		return nil
	}
	// getPodSpecPatch.
	tokenFile := path.Join(pc.mountPath, pc.tokenPath)
	if pod.Spec.NodeSelector["beta.kubernetes.io/os"] == "windows" || pod.Spec.NodeSelector["kubernetes.io/os"] == "windows" {
		tokenFile = "C:" + strings.ReplaceAll(tokenFile, "/", `\`)
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if !pc.skip[cs[i].Name] {
				w.addEnvToContainer(&cs[i], tokenFile, pc)
			}
		}
	}
	if pc.fullURI != "" {
		if pod.Labels == nil {
			pod.Labels = map[string]string{}
		}
		pod.Labels[EKSPodIdentityLabel] = "enabled"
	}
	if !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == pc.volume }) {
		exp := pc.expiration
		vol := corev1.Volume{Name: pc.volume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: pc.audience, ExpirationSeconds: &exp, Path: pc.tokenPath,
			}}},
		}}}
		// The patch adds at /spec/volumes/0: first.
		pod.Spec.Volumes = append([]corev1.Volume{vol}, pod.Spec.Volumes...)
	}
	return pc
}

// patchConfig follows buildPodPatchConfig: a Pod Identity association wins
// over the role-arn annotation; without either, nothing is mutated.
func (w *EKSWebhook) patchConfig(pod *corev1.Pod, sa *corev1.ServiceAccount) *patchConfig {
	saName := pod.Spec.ServiceAccountName
	if saName == "" {
		saName = "default" // what the ServiceAccount admission plugin sets before webhooks run
	}
	entry := saEntry(sa) // pkg/cache/cache.go addSA
	if w.PodIdentityAssociation != nil {
		if _, ok := w.PodIdentityAssociation(pod.Namespace, saName); ok {
			// GetCommonConfigurations: the service account's settings, or
			// false and the default when it is not in the cache.
			regional, exp := false, eksDefaultTokenExpiration
			if entry != nil {
				regional, exp = entry.regionalSTS, entry.expiration
			}
			exp = podTokenExpiration(pod, exp)
			if exp == eksDefaultTokenExpiration { // addJitterToDefaultToken
				n := eksDefaultTokenExpiration - eksDefaultMinTokenExpiration + 1
				if w.Rand != nil {
					exp = w.Rand.Int64N(n) + eksDefaultMinTokenExpiration
				} else {
					exp = rand.Int64N(n) + eksDefaultMinTokenExpiration
				}
			}
			uri := w.AgentURI
			if uri == "" {
				uri = PodIdentityAgentURI
			}
			return &patchConfig{
				skip: SkippedContainers(pod.Annotations), expiration: exp, regionalSTS: regional,
				audience: ststest.PodIdentityAudience, mountPath: PodIdentityMountPath, volume: PodIdentityVolume,
				tokenPath: path.Base(PodIdentityTokenFile), fullURI: uri,
			}
		}
	}
	if entry == nil || entry.roleARN == "" {
		return nil
	}
	return &patchConfig{
		skip: SkippedContainers(pod.Annotations), expiration: podTokenExpiration(pod, entry.expiration),
		regionalSTS: entry.regionalSTS, audience: entry.audience, mountPath: IRSAMountPath,
		volume: IRSAVolume, tokenPath: path.Base(IRSATokenFile), roleARN: entry.roleARN,
	}
}

// cacheEntry is what the webhook's cache keeps of a service account.
type cacheEntry struct {
	roleARN     string
	audience    string
	regionalSTS bool
	expiration  int64
}

// saEntry parses sa's annotations over EKS's flags (addSA); nil for nil.
func saEntry(sa *corev1.ServiceAccount) *cacheEntry {
	if sa == nil {
		return nil
	}
	e := &cacheEntry{roleARN: sa.Annotations[EKSRoleARNAnnotation], audience: IRSAAudience, regionalSTS: true, expiration: eksDefaultTokenExpiration}
	if v, ok := sa.Annotations[EKSAudienceAnnotation]; ok {
		e.audience = v
	}
	if v, err := strconv.ParseBool(sa.Annotations[EKSRegionalSTSAnnotation]); err == nil {
		e.regionalSTS = v // an unparsable value is ignored
	}
	if v, err := strconv.ParseInt(sa.Annotations[EKSTokenExpirationAnnotation], 10, 64); err == nil {
		e.expiration = max(v, eksMinTokenExpiration)
	}
	return e
}

// podTokenExpiration is parsePodAnnotations: the pod's token-expiration
// annotation overrides the service account's, raised to the minimum.
func podTokenExpiration(pod *corev1.Pod, exp int64) int64 {
	if v, err := strconv.ParseInt(pod.Annotations[EKSTokenExpirationAnnotation], 10, 64); err == nil {
		return max(v, eksMinTokenExpiration)
	}
	return exp
}

// SkippedContainers parses a pod's EKSSkipContainersAnnotation as
// getContainersToSkip does: one CSV record; unparsable skips nothing.
func SkippedContainers(podAnnotations map[string]string) map[string]bool {
	skip := map[string]bool{}
	v, ok := podAnnotations[EKSSkipContainersAnnotation]
	if !ok {
		return skip
	}
	names, err := csv.NewReader(strings.NewReader(v)).Read()
	if err != nil {
		return skip
	}
	for _, n := range names {
		skip[n] = true
	}
	return skip
}

// addEnvToContainer follows upstream's: each group of variables (regional
// STS, region, the identity pair) is added only when the container sets
// none of it, so a container setting AWS_ROLE_ARN loses the token file
// too; a container with its identity pair, region and STS variable is left
// alone entirely; otherwise the mount is added unless the container mounts
// the volume already (wherever).
func (w *EKSWebhook) addEnvToContainer(c *corev1.Container, tokenFile string, pc *patchConfig) {
	var webIdentity, containerCreds, region, sts bool
	for _, e := range c.Env {
		switch e.Name {
		case "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE":
			webIdentity = true
		case "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE":
			containerCreds = true
		case "AWS_REGION", "AWS_DEFAULT_REGION":
			region = true
		case "AWS_STS_REGIONAL_ENDPOINTS":
			sts = true
		}
	}
	podIdentity := pc.fullURI != ""
	if ((!podIdentity && webIdentity) || (podIdentity && containerCreds)) && region && sts {
		return
	}
	if !sts && pc.regionalSTS {
		c.Env = append(c.Env, corev1.EnvVar{Name: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"})
	}
	if !region && w.Region != "" {
		c.Env = append(c.Env,
			corev1.EnvVar{Name: "AWS_DEFAULT_REGION", Value: w.Region},
			corev1.EnvVar{Name: "AWS_REGION", Value: w.Region})
	}
	switch {
	case podIdentity && !containerCreds:
		c.Env = append(c.Env,
			corev1.EnvVar{Name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", Value: pc.fullURI},
			corev1.EnvVar{Name: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", Value: tokenFile})
	case !podIdentity && !webIdentity:
		c.Env = append(c.Env,
			corev1.EnvVar{Name: "AWS_ROLE_ARN", Value: pc.roleARN},
			corev1.EnvVar{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: tokenFile})
	}
	// Not upstream's: the test environment's redirections.
	for _, e := range w.Env {
		if !slices.ContainsFunc(c.Env, func(have corev1.EnvVar) bool { return have.Name == e.Name }) {
			c.Env = append(c.Env, e)
		}
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == pc.volume }) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: pc.volume, ReadOnly: true, MountPath: pc.mountPath})
	}
}
