//go:build e2e

package framework

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The versions the suite runs: kubernetes v1.34 is the newest whose kubelet
// still runs on cgroup v1 by default, and etcd v3.6.4 is the one it pins.
// test/e2e/kube/go.mod and test/e2e/etcd/go.mod must name the same.
const (
	KubernetesVersion = "v1.34.4"
	EtcdVersion       = "v3.6.4"
)

// kubeComponents are built from k8s.io/kubernetes through test/e2e/kube.
var kubeComponents = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet"}

// Artefacts are the built binaries and image inputs a run needs.
type Artefacts struct {
	Root string // the repository
	Bin  map[string]string
	// ImageLayout is make image's OCI layout (dist/image); Plugin the
	// kubectl plugin (bin/kubectl-irsa_probe).
	ImageLayout, Plugin string
}

// CacheDir is where built components are kept between runs, keyed by
// version: IRSA_PROBE_E2E_CACHE, else ~/.cache/irsa-probe-e2e. Go's own build
// and module caches stay where go env puts them.
func CacheDir() string {
	if d := os.Getenv("IRSA_PROBE_E2E_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "irsa-probe-e2e-cache")
	}
	return filepath.Join(home, ".cache", "irsa-probe-e2e")
}

// Locate names the artefacts under root without building anything.
func Locate(root string) *Artefacts {
	cache := CacheDir()
	a := &Artefacts{
		Root:        root,
		Bin:         map[string]string{},
		ImageLayout: filepath.Join(root, "dist", "image"),
		Plugin:      filepath.Join(root, "bin", "kubectl-irsa_probe"),
	}
	for _, c := range kubeComponents {
		a.Bin[c] = filepath.Join(cache, "kubernetes-"+KubernetesVersion, c)
	}
	a.Bin["etcd"] = filepath.Join(cache, "etcd-"+EtcdVersion, "etcd")
	a.Bin["standin"] = filepath.Join(cache, "standin", "standin")
	a.Bin["aws"] = filepath.Join(cache, "awsstub", "aws")
	return a
}

// Build builds what is missing (the module proxy is reachable only outside
// the suite's namespace, so this runs before entering it). Progress goes to
// stderr: a cold build of the Kubernetes components takes about ten minutes.
func Build(root string) (*Artefacts, error) {
	a := Locate(root)
	ldflags := "-X k8s.io/component-base/version.gitVersion=" + KubernetesVersion +
		" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34"
	var missing []string
	for _, c := range kubeComponents {
		if !exists(a.Bin[c]) {
			missing = append(missing, "k8s.io/kubernetes/cmd/"+c)
		}
	}
	if len(missing) > 0 {
		// One go build for all of them: they share most packages.
		args := append([]string{"build", "-trimpath", "-ldflags", ldflags, "-o", filepath.Dir(a.Bin["kubelet"]) + "/"}, missing...)
		if err := goBuild(filepath.Join(root, "test", "e2e", "kube"), nil, args...); err != nil {
			return nil, err
		}
	}
	if !exists(a.Bin["etcd"]) {
		if err := goBuild(filepath.Join(root, "test", "e2e", "etcd"), nil, "build", "-trimpath", "-o", a.Bin["etcd"], "."); err != nil {
			return nil, err
		}
	}
	// Small and part of this module: rebuilt every run (Go's cache makes it cheap).
	if err := goBuild(root, []string{"CGO_ENABLED=0"}, "build", "-trimpath", "-o", a.Bin["standin"], "./test/e2e/standin"); err != nil {
		return nil, err
	}
	// The AWS CLI's stand-in for the migration plan's aws commands.
	if err := goBuild(root, nil, "build", "-trimpath", "-o", a.Bin["aws"], "./test/e2e/awsstub"); err != nil {
		return nil, err
	}
	if !exists(filepath.Join(a.ImageLayout, "index.json")) || !exists(a.Plugin) {
		fmt.Fprintf(os.Stderr, "e2e: %s or %s missing: make image build\n", a.ImageLayout, a.Plugin)
		cmd := exec.Command("make", "image", "build")
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("make image build: %w", err)
		}
	}
	return a, nil
}

// goBuild runs go with args in dir; env adds to the environment (the
// stand-in must be static, it runs in images without a libc).
func goBuild(dir string, env []string, args ...string) error {
	start := time.Now()
	fmt.Fprintf(os.Stderr, "e2e: (cd %s && go %s)\n", dir, strings.Join(args, " "))
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod"), env...)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s in %s: %w", args[0], dir, err)
	}
	fmt.Fprintf(os.Stderr, "e2e: built in %s\n", time.Since(start).Round(time.Second))
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
