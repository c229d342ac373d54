package probe

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"time"
)

// CLI is the binary's behaviour; main only wires it to the process.
type CLI struct {
	Stdout, Stderr io.Writer
	Version        string
	// Now is the clock (nil: time.Now); tests set it.
	Now func() time.Time
}

// Main runs one command and returns the process exit code.
func (c *CLI) Main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		c.usage(c.Stderr)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	code := ExitOK
	switch cmd {
	case CmdCheck:
		code, err = c.check(ctx, rest)
	case CmdServe:
		code, err = c.serve(ctx, rest)
	case CmdTrustPolicy:
		code, err = c.trustPolicy(rest)
	case CmdVersion:
		fmt.Fprintln(c.Stdout, "irsa-probe", c.Version)
	case "help", "-h", "-help", "--help":
		c.usage(c.Stdout)
	default:
		err = &UsageError{Name: "command", Value: cmd, Want: "must be one of " + strings.Join(CommandNames(), ", ")}
	}
	var ue *UsageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(c.Stderr, "error: %v\nhint: irsa-probe --help lists commands and settings\n", err)
		return ExitUsage
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case err != nil:
		fmt.Fprintf(c.Stderr, "error: %v\n", err)
		if code == ExitOK {
			code = ExitBroken
		}
	}
	return code
}

func (c *CLI) usage(w io.Writer) {
	fmt.Fprintf(w, `irsa-probe %s: prove a pod's IAM Roles for Service Accounts identity works, or say why not.

Usage:
  irsa-probe check [flags]          one check; exit 0 works, 1 broken, 2 usage, 3 undecided (init container, Job)
  irsa-probe serve [flags]          keep checking; /healthz /readyz /livez /metrics for probes (sidecar)
  irsa-probe trust-policy [flags]   print the trust policy this pod's token needs
  irsa-probe version

Settings (environment; flags override):
`, c.Version)
	for _, s := range AllSettings() {
		flagName := ""
		if s.Flag != "" {
			flagName = "--" + s.Flag
		}
		def := ""
		if s.Default != "" {
			def = " (default " + s.Default + ")"
		}
		fmt.Fprintf(w, "  %-34s %-24s %s%s\n", s.Env, flagName, s.Desc, def)
	}
}

// loadConfig reads the environment, then the command's flags over it.
func (c *CLI) loadConfig(cmd string, args []string, extra func(*flag.FlagSet)) (Config, error) {
	cfg, err := LoadConfig()
	if err != nil {
		return cfg, err
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	bindFlags(fs, &cfg.Settings)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, &UsageError{Name: cmd + " flags", Value: strings.Join(args, " "), Want: err.Error()}
	}
	if fs.NArg() > 0 {
		return cfg, &UsageError{Name: cmd + " arguments", Value: strings.Join(fs.Args(), " "), Want: "takes no arguments"}
	}
	cfg.Now = c.Now
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// bindFlags defines a flag for every setting with a `flag` tag, defaulting
// to the value the environment gave, so a flag overrides its variable.
func bindFlags(fs *flag.FlagSet, s *Settings) {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("flag")
		if name == "" {
			continue
		}
		usage := t.Field(i).Tag.Get("desc") + " (" + SettingsPrefix + "_" + fieldKey(t.Field(i)) + ")"
		switch p := v.Field(i).Addr().Interface().(type) {
		case *string:
			fs.StringVar(p, name, *p, usage)
		case *time.Duration:
			fs.DurationVar(p, name, *p, usage)
		}
	}
}

// newLogger builds the slog logger IRSA_PROBE_LOG_FORMAT/LEVEL ask for. Logs
// go to stderr so stdout stays the report (JSON stays parseable).
func newLogger(w io.Writer, s Settings) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.SlogLevel()}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (c *CLI) check(ctx context.Context, args []string) (int, error) {
	cfg, err := c.loadConfig(CmdCheck, args, nil)
	if err != nil {
		return ExitUsage, err
	}
	log := newLogger(c.Stderr, cfg.Settings)
	rep := NewChecker(cfg, log).Run(ctx)
	if cfg.Output == "json" {
		err = rep.WriteJSON(c.Stdout)
	} else {
		err = rep.WriteText(c.Stdout)
	}
	if err != nil {
		log.Error("writing the report", "error", err)
	}
	if err := rep.WriteTerminationLog(cfg.TerminationLog); err != nil {
		log.Warn("could not write the termination log", "error", err)
	}
	return rep.ExitCode(), nil
}

func (c *CLI) trustPolicy(args []string) (int, error) {
	var namespaceWide bool
	var tokenFile, roleARN string
	cfg, err := c.loadConfig(CmdTrustPolicy, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&namespaceWide, "namespace-wide", false, "trust every service account of the token's namespace (StringLike NS:*)")
		fs.StringVar(&tokenFile, "token-file", "", "token to build the policy for (default AWS_WEB_IDENTITY_TOKEN_FILE)")
		fs.StringVar(&roleARN, "role-arn", "", "role whose account owns the OIDC provider (default AWS_ROLE_ARN)")
	})
	if err != nil {
		return ExitUsage, err
	}
	tokenFile = orDefault(tokenFile, cfg.AWS.TokenFile)
	roleARN = orDefault(roleARN, cfg.ExpectedRole())
	if tokenFile == "" {
		return ExitUsage, &UsageError{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "", Want: "needed (or --token-file): the policy is built from the token's issuer and subject"}
	}
	role, err := ParseRoleARN(roleARN)
	if err != nil {
		return ExitUsage, &UsageError{Name: "AWS_ROLE_ARN", Value: roleARN, Want: "needed (or --role-arn) for the account and partition: " + err.Error()}
	}
	raw, err := ReadTokenFile(tokenFile)
	if err != nil {
		return ExitBroken, fmt.Errorf("reading the token: %w", err)
	}
	tok, err := ParseToken(raw)
	if err != nil {
		return ExitBroken, fmt.Errorf("decoding the token: %w", err)
	}
	if detail := structuralProblem(tok); detail != "" || tok.Legacy {
		return ExitBroken, fmt.Errorf("the token cannot be trusted through IRSA: %s", orDefault(detail, "it is a legacy service-account token"))
	}
	policy := TrustPolicy(TrustPolicyInput{
		Partition: role.Partition, Account: role.Account, Issuer: tok.Issuer, Subject: tok.Subject,
		Audience: cfg.Audience, NamespaceWide: namespaceWide,
	})
	fmt.Fprintln(c.Stdout, policy)
	fmt.Fprintf(c.Stderr, "# apply with:\n#   aws iam update-assume-role-policy --role-name %s --policy-document file://trust-policy.json\n", role.Name)
	return ExitOK, nil
}
