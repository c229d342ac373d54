//go:build e2e

package framework

import "fmt"

// HostNetworkRuntimeClass is the RuntimeClass the PodSecurity admission
// configuration exempts: the harness gives it to the pods it puts on the
// host network (there is no CNI), so their namespace keeps its real
// pod-security label and every other pod gets the real verdict.
const HostNetworkRuntimeClass = "irsa-probe-e2e-hostnetwork"

// PauseImage is the sandbox image the harness builds (the stand-in's pause
// mode); AppImage stands in for the examples' nginx-unprivileged, serving
// on its port, 8080.
const (
	PauseImage = "localhost/irsa-probe-e2e/pause:1"
	AppImage   = "public.ecr.aws/nginx/nginx-unprivileged:1.27"
)

func admissionConfig() string {
	return fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: privileged
      enforce-version: latest
      audit: privileged
      warn: privileged
    exemptions:
      usernames: []
      namespaces: []
      runtimeClasses: [%s]
`, HostNetworkRuntimeClass)
}

// containerdConfig is containerd 1.6's configuration: its own root, state
// and socket, not the machine's. restrict_oom_score_adj because root here
// lacks CAP_SYS_RESOURCE (runc fails every sandbox otherwise).
func containerdConfig(root, state, sock, cniConfDir string) string {
	return fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Pod network namespaces (only pods the harness did not put on the host
  # network get one) under the run's state, so Stop unmounts them.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
`, root, state, sock, sock+".ttrpc", root+"/opt", PauseImage, cniConfDir)
}

// cniConfig makes containerd report the network ready (so the node is
// Ready); every pod uses the host network, so no plugin ever runs.
const cniConfig = `{"cniVersion": "0.4.0", "name": "irsa-probe-e2e", "plugins": [{"type": "loopback"}]}`

func kubeletConfig(caFile, certFile, keyFile, runtimeSock, resolvConf, podLogs string) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 0.0.0.0
port: 10250
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: %q}
authorization: {mode: AlwaysAllow}
tlsCertFile: %q
tlsPrivateKeyFile: %q
containerRuntimeEndpoint: unix://%s
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
resolvConf: %q
podLogsDir: %q
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 1Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
evictionPressureTransitionPeriod: 5s
syncFrequency: 10s
nodeStatusUpdateFrequency: 5s
protectKernelDefaults: false
makeIPTablesUtilChains: false
localStorageCapacityIsolation: false
`, caFile, certFile, keyFile, runtimeSock, resolvConf, podLogs)
}
