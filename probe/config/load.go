package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/irsa-probe/irsa-probe/probe/suggest"
)

// Error is a setting or flag the probe cannot run with: exit 2, with the
// variable or flag and the value named.
type Error struct {
	Name  string // IRSA_PROBE_TIMEOUT or --timeout
	Value string
	Want  string // what is wrong, and what would do
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Name, e.Value, e.Want)
}

// notADuration is what a bad duration gets told, from a variable or a flag.
const notADuration = "not a duration (use e.g. 30s)"

// Load reads the environment into a Config with the documented defaults.
// An IRSA_PROBE_ variable that is not a setting (a typo) is an error
// naming the closest one.
func Load() (*Config, error) {
	c := &Config{origin: map[string]string{}}
	if err := unknownVariables(os.Environ()); err != nil {
		return nil, err
	}
	if err := envconfig.Process("", &c.AWS); err != nil {
		return nil, envError(err)
	}
	if err := envconfig.Process(strings.TrimSuffix(Prefix, "_"), &c.Settings); err != nil {
		return nil, envError(err)
	}
	return c, nil
}

func envError(err error) error {
	var pe *envconfig.ParseError
	if errors.As(err, &pe) {
		want := "cannot be parsed as " + pe.TypeName
		if pe.TypeName == "Duration" || pe.TypeName == "time.Duration" {
			want = notADuration
		}
		return &Error{Name: pe.KeyName, Value: pe.Value, Want: want}
	}
	return fmt.Errorf("reading the environment: %w", err)
}

// unknownVariables refuses IRSA_PROBE_ variables the probe does not read:
// a misspelt setting would otherwise be silently ignored.
func unknownVariables(environ []string) error {
	known := EnvNames()
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, Prefix) || contains(known, name) {
			continue
		}
		want := "not a setting of irsa-probe"
		// Compared without the prefix they all share, which would make
		// any two names look alike.
		var suffixes []string
		for _, k := range known {
			if s, ok := strings.CutPrefix(k, Prefix); ok {
				suffixes = append(suffixes, s)
			}
		}
		if best := suggest.Closest(strings.TrimPrefix(name, Prefix), suffixes); best != "" {
			want += "; did you mean " + Prefix + best + "?"
		}
		return &Error{Name: name, Value: value, Want: want}
	}
	return nil
}

// Flags are the settings' flags of one command, bound to a Config.
type Flags struct {
	c   *Config
	err *Error // the first bad value, as the user wrote it
}

// BindFlags defines on fs the flag of every setting cmd has, over the value
// the environment gave: a flag given wins over its variable.
func (c *Config) BindFlags(fs *flag.FlagSet, cmd string) *Flags {
	fl := &Flags{c: c}
	v := reflect.ValueOf(c).Elem()
	for _, s := range Table() {
		if !s.HasFlag(cmd) {
			continue
		}
		fs.Var(&flagValue{fl: fl, s: s, ptr: v.FieldByIndex(s.field).Addr().Interface()}, s.Flag, s.Desc)
	}
	return fl
}

// Err is the first flag value that did not parse, named as given
// (--timeout="abc": not a duration …); nil when every value parsed. The
// flag package's own error for it says less.
func (fl *Flags) Err() error {
	if fl.err == nil {
		return nil
	}
	return fl.err
}

// flagValue is a setting as a flag.Value.
type flagValue struct {
	fl  *Flags
	s   Setting
	ptr any // *string or *time.Duration
}

func (f *flagValue) String() string {
	switch p := f.ptr.(type) {
	case *string:
		return *p
	case *time.Duration:
		return p.String()
	}
	return ""
}

func (f *flagValue) Set(v string) error {
	switch p := f.ptr.(type) {
	case *string:
		*p = v
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			e := &Error{Name: "--" + f.s.Flag, Value: v, Want: notADuration}
			if f.fl.err == nil {
				f.fl.err = e
			}
			return e
		}
		*p = d
	}
	f.fl.c.origin[f.s.name] = "--" + f.s.Flag
	return nil
}
