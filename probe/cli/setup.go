package cli

import (
	"flag"
	"io"
	"log"
	"log/slog"

	"github.com/irsa-probe/irsa-probe/probe/config"
)

// newLogger builds the slog logger IRSA_PROBE_LOG_FORMAT/LEVEL ask for. Logs
// go to stderr so stdout stays the report (JSON stays parseable).
// Whatever a library prints through the standard logger goes to the same
// logger at debug level: it is not about the user's identity, and at the
// default level it must not reach `kubectl logs` before the report.
func newLogger(w io.Writer, s config.Settings) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.SlogLevel()}
	var l *slog.Logger
	if s.LogFormat == "json" {
		l = slog.New(slog.NewJSONHandler(w, opts))
	} else {
		l = slog.New(slog.NewTextHandler(w, opts))
	}
	log.SetFlags(0)
	log.SetOutput(slog.NewLogLogger(l.Handler(), slog.LevelDebug).Writer())
	return l
}

// loadConfig reads the environment, lays cmd's flags over it and finishes
// the settings: everything a command needs before it starts. extra
// defines the command's own flags.
func (c *CLI) loadConfig(cmd string, args []string, extra func(*flag.FlagSet)) (*config.Config, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, asUsage(cmd, err)
	}
	fs := newFlagSet(cmd)
	fl := cfg.BindFlags(fs, cmd)
	if extra != nil {
		extra(fs)
	}
	if err := parse(cmd, fs, fl, args); err != nil {
		return nil, err
	}
	cfg.Now = c.Now
	if err := cfg.Finish(); err != nil {
		return nil, asUsage(cmd, err)
	}
	return cfg, nil
}
