package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/serve"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// vmHWM is a process's peak resident memory, from /proc.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skip("no /proc:", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// TestServeSurvivesAConnectionFlood: 2,000 idle keep-alive connections
// (anything that can reach port 8086 can open them) neither push serve
// past the 32 MiB limit the manifests set nor keep kubelet's probes out.
func TestServeSurvivesAConnectionFlood(t *testing.T) {
	st := startStack(t, ststest.StackOptions{})
	p := startServe(t, st, "IRSA_PROBE_REFRESH=1h")
	eventually(t, 30*time.Second, "ready", func() bool { code, _ := p.get(t, serve.PathHealthz); return code == 200 })
	addr := strings.TrimPrefix(p.base, "http://")
	const flood = 2000
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range flood {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
		// One request, then the connection idles, kept alive.
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", serve.PathLivez); err != nil {
			continue // already evicted
		}
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			resp.Body.Close()
		}
	}
	// A probe, on a new connection as kubelet makes them, is answered now.
	probe := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 20 {
		start := time.Now()
		resp, err := probe.Get(p.base + serve.PathHealthz)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("probe %d during the flood: %v %v", i, resp, err)
		}
		resp.Body.Close()
		if d := time.Since(start); d > time.Second {
			t.Errorf("probe %d took %s", i, d)
		}
	}
	hwm := vmHWM(t, p.cmd.Process.Pid)
	t.Logf("serve peak RSS with %d connections opened: %.1f MiB", flood, float64(hwm)/(1<<20))
	if hwm > 32<<20 {
		t.Errorf("serve peaked at %.1f MiB, over the 32 MiB limit", float64(hwm)/(1<<20))
	}
}

// TestServeSurvivesSlowloris: 300 clients that send their request headers
// a byte at a time and reconnect when dropped (slowloris) must not keep
// kubelet's probes out: a probe every 250 ms for 10 s, each on a new
// connection with kubelet's default 1 s timeout, all answered; and serve
// stays within the manifests' 32 MiB.
func TestServeSurvivesSlowloris(t *testing.T) {
	st := startStack(t, ststest.StackOptions{})
	p := startServe(t, st, "IRSA_PROBE_REFRESH=1h")
	eventually(t, 30*time.Second, "ready", func() bool { code, _ := p.get(t, serve.PathHealthz); return code == 200 })
	addr := strings.TrimPrefix(p.base, "http://")

	const slow = 300
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var dials atomic.Int64
	// Headers that never end: a request line, then header lines forever.
	drip := "GET " + serve.PathHealthz + " HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Slow: y\r\n", 1000)
	for range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
						continue
					}
				}
				dials.Add(1)
				for i := 0; ; i = (i + 1) % len(drip) {
					if _, err := c.Write([]byte{drip[i]}); err != nil {
						break // dropped: reconnect
					}
					select {
					case <-stop:
						c.Close()
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
				c.Close()
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(time.Second) // the slow clients hold the connections first

	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var failed []string
	const probes = 40 // every 250 ms for 10 s
	for i := range probes {
		time.Sleep(250 * time.Millisecond)
		resp, err := probe.Get(p.base + serve.PathReadyz)
		if err != nil {
			failed = append(failed, fmt.Sprintf("probe %d: %v", i, err))
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			failed = append(failed, fmt.Sprintf("probe %d: HTTP %d", i, resp.StatusCode))
		}
	}
	hwm := vmHWM(t, p.cmd.Process.Pid)
	t.Logf("%d slow clients, %d connections opened; %d of %d probes failed; serve peak RSS %.1f MiB",
		slow, dials.Load(), len(failed), probes, float64(hwm)/(1<<20))
	if len(failed) > 0 {
		t.Errorf("%d of %d probes failed under slowloris:\n%s", len(failed), probes, strings.Join(failed, "\n"))
	}
	if hwm > 32<<20 {
		t.Errorf("serve peaked at %.1f MiB, over the 32 MiB limit", float64(hwm)/(1<<20))
	}
}
