package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// TestCanaryArgsRunTheRealProbe: the canary Job's args, given to the real
// irsa-probe binary in a pod environment wired to ststest, produce a log
// the plugin reads into the right verdict (stdout and stderr together, as
// kubectl logs shows them).
func TestCanaryArgsRunTheRealProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds irsa-probe")
	}
	bin := filepath.Join(t.TempDir(), "irsa-probe")
	if b, err := exec.Command("go", "build", "-o", bin, "../irsa-probe").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	for _, c := range []struct {
		sa, verdict string
	}{
		{st.ServiceAccount, fleet.CanaryOK},
		{"ledger", fleet.CanaryBroken}, // the token is billing-api's: --expect-service-account catches it
	} {
		id := &fleet.Identity{Namespace: st.Namespace, ServiceAccount: c.sa, RoleARN: st.RoleARN}
		var job struct {
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args []string `json:"args"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(fleet.CanaryJob(id, fleet.CanaryOptions{RunID: "a1b2c3", Image: "x", Timeout: 20 * time.Second}), &job); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, job.Spec.Template.Spec.Containers[0].Args...)
		cmd.Env = ststest.PodEnv(st)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		exit := 0
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatal(err)
			}
			exit = ee.ExitCode()
		}
		got := fleet.ReadCanaryLog(log.Bytes(), exit)
		if got.Verdict != c.verdict || (c.verdict == fleet.CanaryOK && got.Identity != "arn:aws:sts::111122223333:assumed-role/billing-api/irsa-probe-billing-api-7d9f8b6c5-x2k4q") ||
			(c.verdict != fleet.CanaryOK && got.Code != "service-account-mismatch") {
			t.Errorf("%s: %+v\n%s", c.sa, got, log.String())
		}
	}
}
