package deploy_test

import (
	"fmt"
	"io/fs"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// tokenFile is the owner, group and mode of a projected service-account
// token file.
type tokenFile struct {
	UID, GID int64
	Mode     fs.FileMode
}

// projectedTokenFile returns what the kubelet makes of the token file of a
// projected serviceAccountToken volume (pkg/volume/projected and KEP-2451,
// "SecurityContext interactions" in the projected volumes docs):
//   - when every container of the pod has the same effective runAsUser, the
//     file is 0600 owned by that user;
//   - when the pod has an fsGroup, it is 0600 and then group-owned by the
//     fsGroup and made group-readable (0640: projected volumes are
//     read-only, so the ownership pass adds r--r-----);
//   - otherwise it keeps the volume's defaultMode, 0644 unless set.
//
// This is why the components do not need to set fsGroup: none of the three
// cases locks out a container running as 65532 (see canRead).
func projectedTokenFile(spec *corev1.PodSpec, vol *corev1.ProjectedVolumeSource) tokenFile {
	f := tokenFile{Mode: 0o644}
	if vol.DefaultMode != nil {
		f.Mode = fs.FileMode(*vol.DefaultMode)
	}
	fsUser := commonRunAsUser(spec)
	var fsGroup *int64
	if spec.SecurityContext != nil {
		fsGroup = spec.SecurityContext.FSGroup
	}
	if fsUser != nil || fsGroup != nil {
		f.Mode = 0o600
	}
	if fsUser != nil {
		f.UID = *fsUser
	}
	if fsGroup != nil {
		f.GID = *fsGroup
		f.Mode |= 0o440
	}
	return f
}

// commonRunAsUser is the kubelet's FsUserFrom: the effective runAsUser shared
// by every init and regular container, or nil when one has none or two
// differ.
func commonRunAsUser(spec *corev1.PodSpec) *int64 {
	var uid *int64
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		u := effectiveRunAsUser(spec, &c)
		if u == nil || (uid != nil && *uid != *u) {
			return nil
		}
		uid = u
	}
	return uid
}

func effectiveRunAsUser(spec *corev1.PodSpec, c *corev1.Container) *int64 {
	if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
		return c.SecurityContext.RunAsUser
	}
	if spec.SecurityContext != nil {
		return spec.SecurityContext.RunAsUser
	}
	return nil
}

// canRead reports whether container c's process can read f. Its groups are
// its runAsGroup plus the pod's fsGroup and supplementalGroups, which the
// kubelet gives every container.
func canRead(spec *corev1.PodSpec, c *corev1.Container, f tokenFile) error {
	uid := effectiveRunAsUser(spec, c)
	if uid == nil {
		return fmt.Errorf("container %s has no runAsUser: cannot tell who reads the token", c.Name)
	}
	groups := []int64{}
	if c.SecurityContext != nil && c.SecurityContext.RunAsGroup != nil {
		groups = append(groups, *c.SecurityContext.RunAsGroup)
	} else if spec.SecurityContext != nil && spec.SecurityContext.RunAsGroup != nil {
		groups = append(groups, *spec.SecurityContext.RunAsGroup)
	}
	if sc := spec.SecurityContext; sc != nil {
		if sc.FSGroup != nil {
			groups = append(groups, *sc.FSGroup)
		}
		groups = append(groups, sc.SupplementalGroups...)
	}
	switch {
	case *uid == 0,
		*uid == f.UID && f.Mode&0o400 != 0,
		slices.Contains(groups, f.GID) && f.Mode&0o040 != 0,
		f.Mode&0o004 != 0:
		return nil
	}
	return fmt.Errorf("container %s (uid %d, groups %v) cannot read the token (%d:%d %v)", c.Name, *uid, groups, f.UID, f.GID, f.Mode)
}

func TestProjectedTokenReadableByProbe(t *testing.T) {
	probe := func() corev1.Container {
		u, g := int64(65532), int64(65532)
		return corev1.Container{Name: "irsa-probe", SecurityContext: &corev1.SecurityContext{RunAsUser: &u, RunAsGroup: &g}}
	}
	as := func(name string, uid int64) corev1.Container {
		return corev1.Container{Name: name, SecurityContext: &corev1.SecurityContext{RunAsUser: &uid}}
	}
	i64 := func(v int64) *int64 { return &v }
	i32 := func(v int32) *int32 { return &v }
	for _, tc := range []struct {
		name     string
		pod      corev1.PodSpec
		defMode  *int32
		want     tokenFile
		readable bool
	}{
		{"app user unset, no fsGroup", corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, probe()}},
			nil, tokenFile{0, 0, 0o644}, true},
		{"different users, no fsGroup", corev1.PodSpec{Containers: []corev1.Container{as("app", 1000), probe()}},
			nil, tokenFile{0, 0, 0o644}, true},
		{"everyone 65532", corev1.PodSpec{Containers: []corev1.Container{as("app", 65532), probe()}},
			nil, tokenFile{65532, 0, 0o600}, true},
		{"foreign fsGroup", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{FSGroup: i64(2000)}, Containers: []corev1.Container{as("app", 101), probe()}},
			nil, tokenFile{0, 2000, 0o640}, true},
		{"fsGroup 65532", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{FSGroup: i64(65532)}, Containers: []corev1.Container{{Name: "app"}, probe()}},
			nil, tokenFile{0, 65532, 0o640}, true},
		// What fsGroup guards against: a volume made private without it.
		{"defaultMode 0600, no fsGroup", corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, probe()}},
			i32(0o600), tokenFile{0, 0, 0o600}, false},
		{"defaultMode 0600, fsGroup", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{FSGroup: i64(65532)}, Containers: []corev1.Container{{Name: "app"}, probe()}},
			i32(0o600), tokenFile{0, 65532, 0o640}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := projectedTokenFile(&tc.pod, &corev1.ProjectedVolumeSource{DefaultMode: tc.defMode})
			if got != tc.want {
				t.Errorf("token file = %d:%d %v, want %d:%d %v", got.UID, got.GID, got.Mode, tc.want.UID, tc.want.GID, tc.want.Mode)
			}
			c := probe()
			if err := canRead(&tc.pod, &c, got); (err == nil) != tc.readable {
				t.Errorf("canRead = %v, want readable=%v", err, tc.readable)
			}
		})
	}
}
