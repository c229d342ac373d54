// Command irsa-probe-cost measures what a whole `irsa-probe check` process
// costs against the floor, a bare aws-sdk-go-v2 program making the same
// calls (cmd/irsa-probe-floor): wall time, user+system CPU and peak RSS
// from wait4's rusage, paired runs, medians side by side with the ratio.
// `make cost` runs it. STS is moto_server on 127.0.0.1, reached over TLS
// through a proxy whose CA is appended to the system bundle in one file
// used as AWS_CA_BUNDLE, as in the image (and, with -scheme http, over
// plain HTTP). Nothing leaves the machine: IMDS is disabled in both
// programs' environments.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == childFlag {
		os.Exit(child(os.Args[2:]))
	}
	probe := flag.String("probe", "bin/irsa-probe", "the irsa-probe binary")
	floor := flag.String("floor", "bin/irsa-probe-floor", "the floor binary (cmd/irsa-probe-floor)")
	n := flag.Int("n", 20, "runs of each, paired")
	schemes := flag.String("scheme", "https,http", "how STS is reached: https (through the TLS proxy), http, or both")
	systemBundle := flag.String("system-bundle", "/etc/ssl/certs/ca-certificates.crt", "the system CA bundle the proxy's CA is appended to")
	hold := flag.Bool("hold", false, "print the environment of the first scheme as shell exports and keep the servers up until interrupted (for a profiler)")
	flag.Parse()
	if err := run(*probe, *floor, *n, strings.Split(*schemes, ","), *systemBundle, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "irsa-probe-cost:", err)
		os.Exit(1)
	}
}

func run(probe, floor string, n int, schemes []string, systemBundle string, hold bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "irsa-probe-cost-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	motoURL, stopMoto, err := startMoto(ctx)
	if err != nil {
		return err
	}
	defer stopMoto()
	proxyURL, caPEM, stop, err := startTLSProxy(motoURL)
	if err != nil {
		return err
	}
	defer stop()
	sys, err := os.ReadFile(systemBundle)
	if err != nil {
		return fmt.Errorf("the system CA bundle: %w (on Debian/Ubuntu: apt-get install ca-certificates)", err)
	}
	// As in the image: one bundle file, the system's plus the proxy's CA,
	// and no CA directory besides.
	bundle := filepath.Join(dir, "ca-bundle.crt")
	certDir := filepath.Join(dir, "certs")
	tokenFile := filepath.Join(dir, "token")
	for _, err := range []error{
		os.WriteFile(bundle, append(append(sys, '\n'), caPEM...), 0o644),
		os.Mkdir(certDir, 0o755),
		os.WriteFile(tokenFile, ststest.RealFile(ststest.TokenValidIRSA), 0o600),
	} {
		if err != nil {
			return err
		}
	}
	for _, scheme := range schemes {
		url := motoURL
		if scheme == "https" {
			url = proxyURL
		}
		env := []string{
			"HOME=" + dir,
			"AWS_ROLE_ARN=arn:aws:iam::123456789012:role/billing-api",
			"AWS_WEB_IDENTITY_TOKEN_FILE=" + tokenFile,
			"AWS_REGION=us-west-2",
			"AWS_STS_REGIONAL_ENDPOINTS=regional",
			"AWS_ENDPOINT_URL_STS=" + url,
			"AWS_CA_BUNDLE=" + bundle,
			"SSL_CERT_FILE=" + systemBundle,
			"SSL_CERT_DIR=" + certDir,
			// Loopback only: never the instance metadata service.
			"AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"),
			"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
			// The real token's issuer is EKS's, not reachable here.
			"IRSA_PROBE_VERIFY_SIGNATURE=never",
			"IRSA_PROBE_TERMINATION_LOG=",
		}
		if hold {
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				fmt.Printf("export %s=%q\n", k, v)
			}
			fmt.Fprintln(os.Stderr, "irsa-probe-cost: serving until interrupted")
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			<-sig
			return nil
		}
		p, f, err := measure(ctx, n, env, []string{probe, "check"}, []string{floor})
		if err != nil {
			return err
		}
		report(scheme, n, p, f)
	}
	if s, err := runOnce(ctx, nil, []string{"/bin/true"}); err == nil {
		fmt.Printf("(the measuring process's own peak, which a child's cannot go below: %.1f MiB)\n", float64(s.peakKiB)/1024)
	}
	return nil
}

// sample is one process's cost.
type sample struct {
	wall, cpu time.Duration
	peakKiB   int64
}

// measure runs a and b n times each, alternating which goes first, after
// one unmeasured run of each (page cache, moto's first answer).
func measure(ctx context.Context, n int, env, a, b []string) ([]sample, []sample, error) {
	var as, bs []sample
	for i := -1; i < n; i++ {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		s1, err := runOnce(ctx, env, first)
		if err != nil {
			return nil, nil, err
		}
		s2, err := runOnce(ctx, env, second)
		if err != nil {
			return nil, nil, err
		}
		if i < 0 {
			continue
		}
		if i%2 == 1 {
			s1, s2 = s2, s1
		}
		as, bs = append(as, s1), append(bs, s2)
	}
	return as, bs, nil
}

// childFlag makes this program run one measured process and print its
// cost. The measured process is started from a fresh, small process, not
// from this one: Go starts children with vfork, so a child shares its
// parent's memory until it execs, and Linux counts the parent's peak in
// the child's ru_maxrss; this program's own heap, grown over the runs,
// would be every run's peak.
const childFlag = "-child"

// child runs argv and prints its wall time, user and system CPU in
// nanoseconds and peak RSS in KiB; its exit code is argv's.
func child(argv []string) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s", strings.Join(argv, " "), err, out.String())
		return 1
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Println(wall.Nanoseconds(), ru.Utime.Nano(), ru.Stime.Nano(), ru.Maxrss)
	return 0
}

func runOnce(ctx context.Context, env, argv []string) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{childFlag}, argv...)...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	var wall, utime, stime, peak int64
	if _, err := fmt.Sscan(string(out), &wall, &utime, &stime, &peak); err != nil {
		return sample{}, fmt.Errorf("%s: reading the measure %q: %w", strings.Join(argv, " "), out, err)
	}
	return sample{wall: time.Duration(wall), cpu: time.Duration(utime + stime), peakKiB: peak}, nil
}

func median[T int64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func column[T any](ss []sample, f func(sample) T) []T {
	out := make([]T, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

func report(scheme string, n int, probe, floor []sample) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
	mib := func(k int64) string { return fmt.Sprintf("%.1f MiB", float64(k)/1024) }
	pw, fw := median(column(probe, func(s sample) time.Duration { return s.wall })), median(column(floor, func(s sample) time.Duration { return s.wall }))
	pc, fc := median(column(probe, func(s sample) time.Duration { return s.cpu })), median(column(floor, func(s sample) time.Duration { return s.cpu }))
	pr, fr := median(column(probe, func(s sample) int64 { return s.peakKiB })), median(column(floor, func(s sample) int64 { return s.peakKiB }))
	fmt.Printf("STS over %s, %d paired runs, medians (goal: wall ≤ 1.2×, CPU ≤ 1.3×, peak ≤ 14 MiB)\n", scheme, n)
	fmt.Printf("  %-14s %12s %12s %7s\n", "", "check", "floor", "ratio")
	fmt.Printf("  %-14s %12s %12s %6.2f×\n", "wall", ms(pw), ms(fw), float64(pw)/float64(fw))
	fmt.Printf("  %-14s %12s %12s %6.2f×\n", "user+sys CPU", ms(pc), ms(fc), float64(pc)/float64(fc))
	fmt.Printf("  %-14s %12s %12s %6.2f×\n", "peak RSS", mib(pr), mib(fr), float64(pr)/float64(fr))
}
