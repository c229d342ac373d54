package main

import (
	"debug/elf"
	_ "embed"
)

// What the image holds and how it runs. The tests check the written image
// against these, and the Dockerfile against them too, so the two ways of
// building stay one image.
const (
	// binaryPath is where the binary lives in the image (tar names have no
	// leading slash).
	binaryPath = "irsa-probe"
	// caBundlePath is the first file Go's crypto/x509 reads on Linux.
	caBundlePath = "etc/ssl/certs/ca-certificates.crt"
	// defaultCABundle is Debian's ca-certificates bundle on the build machine.
	defaultCABundle = "/" + caBundlePath
	// imageUser is distroless's nonroot: the manifests' runAsUser/runAsGroup.
	imageUser = "65532:65532"
	// imagePort is serve's default IRSA_PROBE_LISTEN.
	imagePort = "8086/tcp"
	// refNameAnnotation names the image in the layout's index.json, for
	// `skopeo copy oci:DIR:VERSION`.
	refNameAnnotation = "org.opencontainers.image.ref.name"
	// containerdNameAnnotation gives the image its full name in
	// `ctr images import`, which otherwise turns the bare tag of
	// refNameAnnotation into import-DATE:VERSION: a name without a
	// registry that containerd's CRI normalizes to
	// docker.io/library/import-DATE:VERSION and then cannot find, failing
	// every container of the image (containerd 1.6).
	containerdNameAnnotation = "io.containerd.image.name"
	// imageRepo is where the manifests pull the image from.
	imageRepo = "ghcr.io/irsa-probe/irsa-probe"
	sourceURL = "https://github.com/irsa-probe/irsa-probe"
)

var (
	entrypoint = []string{"/" + binaryPath}
	defaultCmd = []string{"check"}

	// The users and groups of the image: root owns the files, 65532 runs
	// the binary. No login shell exists in the image.
	//go:embed rootfs/etc/passwd
	passwd []byte
	//go:embed rootfs/etc/group
	group []byte
)

// platforms are the image's platforms and the ELF machine each binary
// must be built for.
var platforms = map[string]elf.Machine{
	"linux/amd64": elf.EM_X86_64,
	"linux/arm64": elf.EM_AARCH64,
}

// entry is one file or directory of a layer.
type entry struct {
	name string
	mode int64 // permission bits; root owns everything
	dir  bool
	data []byte
}

// baseEntries is the layer shared by every platform: the same bytes, so one
// blob in the layout and in the registry.
func baseEntries(caBundle []byte) []entry {
	return []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: group},
		{name: "etc/passwd", mode: 0o644, data: passwd},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: caBundlePath, mode: 0o644, data: caBundle},
	}
}

// binaryEntries is the platform's layer: the binary alone, last, so a new
// build changes one layer.
func binaryEntries(binary []byte) []entry {
	return []entry{{name: binaryPath, mode: 0o755, data: binary}}
}
