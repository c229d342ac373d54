// Command irsa-probe-image writes the irsa-probe container image, for
// linux/amd64 and linux/arm64, as an OCI image layout, and pushes that
// layout to a registry: `make image` and `make image-push`. No Docker
// engine: github.com/google/go-containerregistry assembles the layers,
// configs and index in Go. It is a program of its own so that library never
// links into the irsa-probe binary.
//
// The image is the static binary on an empty base with the CA bundle (HTTPS
// to STS and the OIDC issuer), /etc/passwd and /etc/group naming uid/gid
// 65532, and nothing else: no shell, no package manager. The Dockerfile at
// the repository's root builds the same file system (a test compares them).
//
//	irsa-probe-image build -out dist/image -version v0.1.0 \
//	    -binary linux/amd64=bin/linux-amd64/irsa-probe -binary linux/arm64=bin/linux-arm64/irsa-probe
//	irsa-probe-image push -layout dist/image REGISTRY/REPOSITORY:TAG
package main
