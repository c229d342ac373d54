package cli

import (
	"bytes"
	"log"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/config"
)

// TestStdLoggerAtDebug: what a library prints through the standard logger
// shows only at debug level, through the probe's own logger.
func TestStdLoggerAtDebug(t *testing.T) {
	defer log.SetOutput(log.Writer())
	for _, tc := range []struct {
		level string
		shown bool
	}{{"info", false}, {"debug", true}} {
		var b bytes.Buffer
		newLogger(&b, config.Settings{LogLevel: tc.level, LogFormat: "text"})
		log.Printf("INFO: somelib: chatter")
		if got := strings.Contains(b.String(), "level=DEBUG msg=\"INFO: somelib: chatter\""); got != tc.shown {
			t.Errorf("level %s: shown %v, want %v; output %q", tc.level, got, tc.shown, b.String())
		}
	}
}

// TestStdLoggerSilentOutsideCommands: in a command without a logger
// (version, trust-policy), the standard logger prints nowhere.
func TestStdLoggerSilentOutsideCommands(t *testing.T) {
	defer log.SetOutput(log.Writer())
	var std, out bytes.Buffer
	log.SetOutput(&std)
	c := &CLI{Stdout: &out, Stderr: &out}
	c.Main(t.Context(), []string{CmdVersion})
	log.Printf("somelib: chatter")
	if std.Len() != 0 || strings.Contains(out.String(), "chatter") {
		t.Errorf("the standard logger printed: %q %q", std.String(), out.String())
	}
}
