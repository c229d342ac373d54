//go:build e2e

package framework

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// NodeName is the single node's name.
const NodeName = "e2e-node"

// ClusterOptions configure Start.
type ClusterOptions struct {
	Artefacts *Artefacts
	// Dir holds the run's state (certificates, data, logs); removed by the
	// caller once the run passed.
	Dir string
	// IssuerURL is --service-account-issuer; SigningKeyFile the RSA key
	// (PEM) the API server signs service-account tokens with.
	IssuerURL, SigningKeyFile string
	// ImageName is the name the project's image is imported under.
	ImageName string
}

// Cluster is a running single-node cluster.
type Cluster struct {
	opts       ClusterOptions
	pki        *pki
	LogDir     string
	Kubeconfig string // cluster-admin
	ctrSock    string
	procs      []*process // in start order
	Timings    []string   // "step: duration", for docs/end-to-end.md's figures
}

// StartCluster starts etcd, kube-apiserver, containerd (importing the
// images), kube-controller-manager, kube-scheduler and kubelet, and waits
// for the node to be Ready. On error the cluster is left for Stop, so the
// caller can print the logs first.
func StartCluster(ctx context.Context, o ClusterOptions) (*Cluster, error) {
	c := &Cluster{opts: o, LogDir: filepath.Join(o.Dir, "logs")}
	if err := os.MkdirAll(c.LogDir, 0o755); err != nil {
		return c, err
	}
	start := time.Now()
	step := func(name string, f func() error) error {
		t := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		c.Timings = append(c.Timings, fmt.Sprintf("%s: %s", name, time.Since(t).Round(100*time.Millisecond)))
		return nil
	}
	for _, s := range []struct {
		name string
		f    func(context.Context) error
	}{
		{"certificates", c.writeConfig},
		{"etcd", c.startEtcd},
		{"kube-apiserver", c.startAPIServer},
		{"containerd", c.startContainerd},
		{"images", c.importImages},
		{"controllers, scheduler, kubelet", c.startNode},
		{"node Ready", c.waitNodeReady},
	} {
		if err := step(s.name, func() error { return s.f(ctx) }); err != nil {
			return c, err
		}
	}
	c.Timings = append(c.Timings, fmt.Sprintf("cluster started: %s", time.Since(start).Round(100*time.Millisecond)))
	return c, nil
}

func (c *Cluster) path(elem ...string) string {
	return filepath.Join(append([]string{c.opts.Dir}, elem...)...)
}

func (c *Cluster) writeConfig(context.Context) error {
	p, err := newPKI(c.path("pki"))
	if err != nil {
		return err
	}
	c.pki = p
	cert, key, err := p.issue("admin", "e2e-admin", []string{"system:masters"})
	if err != nil {
		return err
	}
	if c.Kubeconfig, err = p.kubeconfig("admin", "https://127.0.0.1:6443", cert, key); err != nil {
		return err
	}
	files := map[string]string{
		"admission.yaml":      admissionConfig(),
		"resolv.conf":         "nameserver 127.0.0.1\n",
		"cni/10-e2e.conflist": cniConfig,
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(c.path(name)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(c.path(name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) start(name string, args []string) error {
	bin := c.opts.Artefacts.Bin[name]
	if bin == "" {
		bin = name
	}
	p, err := startProcess(c.LogDir, name, bin, args, nil)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)
	return nil
}

// waitFor polls cond every half second until it returns nil, the context
// ends, or a process of the cluster dies.
func (c *Cluster) waitFor(ctx context.Context, what string, timeout time.Duration, cond func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = cond(); last == nil {
			return nil
		}
		for _, p := range c.procs {
			if ok, err := p.exited(); ok {
				return fmt.Errorf("waiting for %s: %s exited (%v); its log ends:\n%s", what, p.name, err, p.tail(30))
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not within %s: %w", what, timeout, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (c *Cluster) startEtcd(ctx context.Context) error {
	err := c.start("etcd", []string{
		"--name=e2e", "--data-dir=" + c.path("etcd"),
		"--listen-client-urls=http://127.0.0.1:2379", "--advertise-client-urls=http://127.0.0.1:2379",
		"--listen-peer-urls=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster=e2e=http://127.0.0.1:2380",
		// A throwaway cluster: no fsync, small log.
		"--unsafe-no-fsync", "--log-level=warn",
	})
	if err != nil {
		return err
	}
	return c.waitFor(ctx, "etcd /health", time.Minute, func() error {
		return httpOK(http.DefaultClient, "http://127.0.0.1:2379/health")
	})
}

func (c *Cluster) startAPIServer(ctx context.Context) error {
	p := c.pki
	serving, servingKey, err := p.issue("apiserver", "kube-apiserver", nil,
		"127.0.0.1", NodeIP, "10.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")
	if err != nil {
		return err
	}
	kcert, kkey, err := p.issue("apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"system:masters"})
	if err != nil {
		return err
	}
	err = c.start("kube-apiserver", []string{
		"--etcd-servers=http://127.0.0.1:2379",
		"--bind-address=127.0.0.1", "--secure-port=6443", "--advertise-address=" + NodeIP,
		"--tls-cert-file=" + serving, "--tls-private-key-file=" + servingKey,
		"--client-ca-file=" + p.CAFile,
		"--kubelet-client-certificate=" + kcert, "--kubelet-client-key=" + kkey,
		"--kubelet-preferred-address-types=InternalIP",
		// As on EKS for what the probe reads: the issuer STS trusts signs
		// the projected tokens, and STS's and Pod Identity's audiences are
		// accepted.
		"--service-account-issuer=" + c.opts.IssuerURL,
		"--service-account-key-file=" + c.opts.SigningKeyFile,
		"--service-account-signing-key-file=" + c.opts.SigningKeyFile,
		"--api-audiences=https://kubernetes.default.svc,sts.amazonaws.com,pods.eks.amazonaws.com",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--admission-control-config-file=" + c.path("admission.yaml"),
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
		"--enable-priority-and-fairness=false",
		// MutatingAdmissionPolicy is beta and off by default in 1.34: on
		// for deploy/policies/mutating-admission-policy.
		"--feature-gates=MutatingAdmissionPolicy=true",
		"--runtime-config=admissionregistration.k8s.io/v1beta1=true",
	})
	if err != nil {
		return err
	}
	client, err := c.adminHTTP()
	if err != nil {
		return err
	}
	return c.waitFor(ctx, "kube-apiserver /readyz", 2*time.Minute, func() error {
		return httpOK(client, "https://127.0.0.1:6443/readyz")
	})
}

func (c *Cluster) adminHTTP() (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(c.pki.dir, "admin.crt"), filepath.Join(c.pki.dir, "admin.key"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.pki.ca)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
	}}, nil
}

func httpOK(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func (c *Cluster) startContainerd(ctx context.Context) error {
	c.ctrSock = c.path("containerd", "containerd.sock")
	conf := c.path("containerd", "config.toml")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		return err
	}
	content := containerdConfig(c.path("containerd", "root"), c.path("containerd", "state"), c.ctrSock, c.path("cni"))
	if err := os.WriteFile(conf, []byte(content), 0o644); err != nil {
		return err
	}
	if err := c.start("containerd", []string{"--config", conf}); err != nil {
		return err
	}
	return c.waitFor(ctx, "containerd", time.Minute, func() error {
		_, err := c.ctr(ctx, "version")
		return err
	})
}

func (c *Cluster) startNode(ctx context.Context) error {
	p := c.pki
	for _, comp := range []struct{ name, cn string }{
		// The controllers and the scheduler run as cluster-admin: the
		// harness skips their per-controller credentials; the kubelet runs
		// under the Node authorizer as on EKS.
		{"kube-controller-manager", "system:kube-controller-manager"},
		{"kube-scheduler", "system:kube-scheduler"},
	} {
		cert, key, err := p.issue(comp.name, comp.cn, []string{"system:masters"})
		if err != nil {
			return err
		}
		if _, err := p.kubeconfig(comp.name, "https://127.0.0.1:6443", cert, key); err != nil {
			return err
		}
	}
	err := c.start("kube-controller-manager", []string{
		"--kubeconfig=" + filepath.Join(p.dir, "kube-controller-manager.kubeconfig"),
		"--authentication-kubeconfig=" + filepath.Join(p.dir, "kube-controller-manager.kubeconfig"),
		"--authorization-kubeconfig=" + filepath.Join(p.dir, "kube-controller-manager.kubeconfig"),
		"--bind-address=127.0.0.1", "--secure-port=10257",
		"--leader-elect=false",
		"--root-ca-file=" + p.CAFile,
		"--service-account-private-key-file=" + c.opts.SigningKeyFile,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--use-service-account-credentials=false",
		// Terminated pods and finished Jobs are gone quickly, and a test's
		// namespace is deleted fast.
		"--terminated-pod-gc-threshold=50",
		"--concurrent-namespace-syncs=4",
	})
	if err != nil {
		return err
	}
	err = c.start("kube-scheduler", []string{
		"--kubeconfig=" + filepath.Join(p.dir, "kube-scheduler.kubeconfig"),
		"--authentication-kubeconfig=" + filepath.Join(p.dir, "kube-scheduler.kubeconfig"),
		"--authorization-kubeconfig=" + filepath.Join(p.dir, "kube-scheduler.kubeconfig"),
		"--bind-address=127.0.0.1", "--secure-port=10259",
		"--leader-elect=false",
	})
	if err != nil {
		return err
	}
	ncert, nkey, err := p.issue("kubelet-client", "system:node:"+NodeName, []string{"system:nodes"})
	if err != nil {
		return err
	}
	nkc, err := p.kubeconfig("kubelet", "https://127.0.0.1:6443", ncert, nkey)
	if err != nil {
		return err
	}
	scert, skey, err := p.issue("kubelet-serving", NodeName, nil, NodeIP, "127.0.0.1", NodeName)
	if err != nil {
		return err
	}
	conf := c.path("kubelet.yaml")
	content := kubeletConfig(p.CAFile, scert, skey, c.ctrSock, c.path("resolv.conf"), c.path("pod-logs"))
	if err := os.WriteFile(conf, []byte(content), 0o644); err != nil {
		return err
	}
	return c.start("kubelet", []string{
		"--config=" + conf, "--kubeconfig=" + nkc,
		"--root-dir=" + c.path("kubelet"), "--cert-dir=" + c.path("kubelet-pki"),
		"--hostname-override=" + NodeName, "--node-ip=" + NodeIP,
		"--v=1",
	})
}

func (c *Cluster) waitNodeReady(ctx context.Context) error {
	k := c.Kubectl()
	return c.waitFor(ctx, "node "+NodeName+" Ready", 2*time.Minute, func() error {
		out, err := k.Run(ctx, "get", "node", NodeName, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if err != nil {
			return err
		}
		if strings.TrimSpace(out) != "True" {
			return fmt.Errorf("Ready=%q", out)
		}
		return nil
	})
}

// Kubectl is a kubectl bound to the cluster as cluster-admin.
func (c *Cluster) Kubectl() *Kubectl { return &Kubectl{Kubeconfig: c.Kubeconfig} }

// CAPEM is the cluster CA, which also signs the webhooks' certificates.
func (c *Cluster) CAPEM() []byte { return c.pki.CAPEM() }

// IssueServing writes a serving certificate for hosts, signed by the cluster CA.
func (c *Cluster) IssueServing(name string, hosts ...string) (certFile, keyFile string, err error) {
	return c.pki.issue(name, name, nil, hosts...)
}

// LogTails is the last n lines of every component's log.
func (c *Cluster) LogTails(n int) string {
	var b strings.Builder
	for _, p := range c.procs {
		fmt.Fprintf(&b, "==> %s (%s) <==\n%s\n", p.name, p.log, p.tail(n))
	}
	return b.String()
}

// Stop stops every process by pid, kubelet first and etcd last, after
// stopping the pods' containers through containerd; then unmounts what the
// kubelet and containerd left mounted under the run's directory.
func (c *Cluster) Stop() error {
	var errs []error
	order := []string{"kube-scheduler", "kube-controller-manager", "kubelet"}
	for _, name := range order {
		c.stopNamed(name, 20*time.Second)
	}
	if c.ctrSock != "" {
		if err := c.killContainers(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range []string{"containerd", "kube-apiserver", "etcd"} {
		c.stopNamed(name, 20*time.Second)
	}
	if err := c.stopShims(); err != nil {
		errs = append(errs, err)
	}
	if err := unmountUnder(c.opts.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Cluster) stopNamed(name string, grace time.Duration) {
	for _, p := range c.procs {
		if p.name == name {
			p.stop(grace)
		}
	}
}

// TokenFile is where the kubelet wrote a projected volume's file for a pod
// (the node's view, which the harness shares).
func (c *Cluster) TokenFile(podUID, volume, file string) string {
	return c.path("kubelet", "pods", podUID, "volumes", "kubernetes.io~projected", volume, file)
}

// ProcStatus is the Uid, Gid, Groups and Cap* lines of /proc/PID/status of
// a container's main process (containerID as the pod status gives it,
// containerd://ID), for a failure message.
func (c *Cluster) ProcStatus(containerID string) string {
	id := strings.TrimPrefix(containerID, "containerd://")
	out, err := c.ctr(context.Background(), "tasks", "list")
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == id {
			b, err := os.ReadFile("/proc/" + f[1] + "/status")
			if err != nil {
				return err.Error()
			}
			var keep []string
			for _, l := range strings.Split(string(b), "\n") {
				for _, p := range []string{"Uid:", "Gid:", "Groups:", "CapPrm:", "CapEff:", "CapBnd:", "NoNewPrivs:"} {
					if strings.HasPrefix(l, p) {
						keep = append(keep, l)
					}
				}
			}
			return "pid " + f[1] + ": " + strings.Join(keep, "; ")
		}
	}
	return "no task " + id
}
