//go:build e2e

package framework

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// Env is the whole run: the cluster, the AWS side it talks to, and the
// webhooks, all inside the suite's network namespace.
type Env struct {
	Cluster *Cluster
	Kubectl *Kubectl
	Art     *Artefacts
	// RunID labels everything the run creates (LabelRun).
	RunID string
	Dir   string

	// The cluster's OIDC issuer (serving the API server's own signing
	// key), STS trusting it, and the node's Pod Identity agent: servers on
	// 127.0.0.1, which hostNetwork pods reach.
	Issuer  *ststest.Issuer
	STS     *ststest.STS
	Agent   *ststest.PodIdentityAgent
	Account string
	Region  string

	// ImageName is the project's image as the manifests name it.
	ImageName string

	webhook    *http.Server
	webhookURL string
	assoc      associations
	eksCalls   atomic.Int64
}

// EKSWebhookCalls is how many admission requests EKS's webhook double has
// answered so far: a test sees from it whether the API server reinvoked
// the webhook.
func (e *Env) EKSWebhookCalls() int64 { return e.eksCalls.Load() }

// The labels the harness reads or writes.
const (
	// LabelRun carries the run id on every namespace a run creates.
	LabelRun = "irsa-probe-e2e/run"
	// LabelHostNetwork on a namespace opts its pods into the harness's
	// mutation: hostNetwork (there is no CNI), the exempt RuntimeClass and
	// the emulators' CA. Harness-only: nothing shipped is edited.
	LabelHostNetwork = "irsa-probe-e2e/host-network"
	// LabelAdmissionOnly on a namespace makes the harness give its pods a
	// nodeSelector no node matches: Pod Security's verdict is the real one
	// (it does not read nodeSelector), and admitted pods never run.
	LabelAdmissionOnly = "irsa-probe-e2e/admission-only"
	// CAMountPath is where the harness mounts the emulators' CA (the
	// issuer's), named by AWS_CA_BUNDLE in the env the webhook injects.
	CAMountPath  = "/var/run/irsa-probe-e2e"
	CAConfigMap  = "irsa-probe-e2e-ca"
	caBundleFile = "ca.pem"
)

// Setup starts everything. On error the returned Env (possibly partial)
// must still be torn down.
func Setup(ctx context.Context, art *Artefacts) (*Env, error) {
	version, err := os.ReadFile(filepath.Join(art.Root, "VERSION"))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "irsa-probe-e2e-run-")
	if err != nil {
		return nil, err
	}
	e := &Env{
		Art: art, Dir: dir, RunID: filepath.Base(dir)[len("irsa-probe-e2e-run-"):],
		Account: ststest.DefaultAccount, Region: ststest.DefaultRegion,
		ImageName: "ghcr.io/irsa-probe/irsa-probe:" + strings.TrimSpace(string(version)),
		assoc:     associations{roles: map[string]string{}},
	}
	e.RunID = strings.ToLower(e.RunID)

	// The issuer publishes the key kube-apiserver signs with: the probe's
	// signature step and STS's verification then run on real tokens.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return e, err
	}
	e.Issuer = ststest.NewIssuer()
	if err := e.Issuer.UseKey(key); err != nil {
		return e, err
	}
	keyFile := filepath.Join(dir, "sa-signing.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return e, err
	}
	e.STS = ststest.NewSTS()
	e.STS.AddIssuer(e.Issuer, e.Account)
	e.Agent = ststest.NewPodIdentityAgent(e.STS)

	e.Cluster, err = StartCluster(ctx, ClusterOptions{
		Artefacts: art, Dir: dir, IssuerURL: e.Issuer.URL, SigningKeyFile: keyFile, ImageName: e.ImageName,
	})
	if err != nil {
		return e, err
	}
	e.Kubectl = e.Cluster.Kubectl()
	e.Kubectl.Env = []string{"PATH=" + filepath.Dir(art.Plugin) + ":" + os.Getenv("PATH")}
	if err := e.startWebhooks(ctx); err != nil {
		return e, err
	}
	return e, nil
}

// Teardown stops the webhooks, the cluster and the servers, by pid for the
// processes. It removes the run's directory unless keep (a failed run keeps
// its logs).
func (e *Env) Teardown(keep bool) error {
	var err error
	// Each test deletes its namespace; the cluster itself goes whole.
	if e.Cluster != nil {
		err = e.Cluster.Stop()
	}
	if e.webhook != nil {
		_ = e.webhook.Close()
	}
	for _, c := range []interface{ Close() }{e.Agent, e.STS, e.Issuer} {
		if c != nil {
			c.Close()
		}
	}
	if !keep && err == nil {
		if rerr := os.RemoveAll(e.Dir); rerr != nil {
			return rerr
		}
	}
	return err
}

// startWebhooks serves the harness's mutation and EKS's webhook double over
// HTTPS on 127.0.0.1 with a certificate of the cluster's CA, and registers
// both.
func (e *Env) startWebhooks(ctx context.Context) error {
	certFile, keyFile, err := e.Cluster.IssueServing("webhooks", "127.0.0.1")
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/harness", http.HandlerFunc(e.serveHarnessMutation))
	mux.Handle("/unschedulable", http.HandlerFunc(serveUnschedulable))
	eks := e.eksWebhook()
	mux.Handle("/eks", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.eksCalls.Add(1)
		eks.ServeHTTP(w, r)
	}))
	e.webhook = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() { _ = e.webhook.ServeTLS(ln, "", "") }()
	e.webhookURL = "https://" + ln.Addr().String()

	manifests := harnessManifests(e.webhookURL, e.Cluster.CAPEM())
	eksConf, err := e.eksWebhookConfiguration(eks, e.webhookURL+"/eks", e.Cluster.CAPEM())
	if err != nil {
		return err
	}
	_, err = e.Kubectl.RunStdin(ctx, manifests+"\n---\n"+eksConf, "apply", "-f", "-")
	return err
}
