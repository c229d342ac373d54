package serve

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// TestStateChangeIsLoggedReadably: with text logs, a state change prints
// the report check prints (verdict, steps, findings with evidence and
// fix); with JSON logs, the findings are a structured field of the record.
func TestStateChangeIsLoggedReadably(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			cfg := &config.Config{Settings: config.Settings{Refresh: time.Minute, Timeout: 10 * time.Second, Audience: iam.DefaultAudience,
				Listen: "127.0.0.1:0", LogFormat: format, LogLevel: "info", Output: "text", VerifySignature: "never"}}
			if err := cfg.Finish(); err != nil {
				t.Fatal(err)
			}
			var logs, reports bytes.Buffer
			h := slog.Handler(slog.NewTextHandler(&logs, nil))
			if format == "json" {
				h = slog.NewJSONHandler(&logs, nil)
			}
			s := New(cfg, slog.New(h), "test")
			s.SetReportOutput(&reports)
			r := readiness{grace: cfg.Grace}
			now := time.Now()
			r.record(brokenReport(), now)
			s.logChange(newSnapshot(&r, now, now))

			var want bytes.Buffer
			if err := brokenReport().WriteText(&want); err != nil {
				t.Fatal(err)
			}
			if format == "text" {
				if reports.String() != want.String() || !strings.Contains(reports.String(), "ERROR trust-policy-denied:") || !strings.Contains(reports.String(), "  fix:") {
					t.Errorf("the report printed:\n%s\nwant what check prints:\n%s", reports.String(), want.String())
				}
				return
			}
			if reports.Len() != 0 {
				t.Errorf("with JSON logs the report is a field, not text:\n%s", reports.String())
			}
			var rec struct {
				Msg      string
				Findings []struct{ Code, Severity, Message, Fix string }
			}
			if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
				t.Fatalf("not one JSON record: %v\n%s", err, logs.String())
			}
			if rec.Msg != "identity broken; not ready" || len(rec.Findings) != 1 || rec.Findings[0].Code != "trust-policy-denied" || rec.Findings[0].Fix == "" {
				t.Errorf("record %+v", rec)
			}
		})
	}
}
