package check_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// A Go service can prove its own identity from its readiness handler: load
// the settings once, keep one Checker, and run it (here against the
// emulator; in a pod the webhook's environment points at the real STS).
func Example() {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	// The pod's environment: none of this machine's AWS settings.
	env := ststest.PodEnv(st, "IRSA_PROBE_VERIFY_SIGNATURE=never")
	os.Clearenv()
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		os.Setenv(name, value)
	}

	cfg, err := config.Load()
	if err == nil {
		err = cfg.Finish()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	rep := check.New(cfg, nil).Run(context.Background())
	fmt.Println(rep.Verdict(), rep.ExitCode())
	fmt.Println(rep.Identity.ARN)
	// Output:
	// ok 0
	// arn:aws:sts::111122223333:assumed-role/billing-api/irsa-probe-billing-api-7d9f8b6c5-x2k4q
}
