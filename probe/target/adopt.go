package target

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// proxyVars are the proxy variables the SDKs' HTTP clients honour: the
// application's decide where its STS and agent calls go.
var proxyVars = []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy"}

// pathVars name files: the application's, so read under its root.
var pathVars = []string{"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}

// nameRE is a variable name the probe adopts: anything else (a name with
// '=' or control characters from a hostile environ) is dropped.
var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// adopted says whether the probe takes variable name from the target.
func adopted(name string) bool {
	if strings.HasPrefix(name, "AWS_") {
		return true
	}
	for _, v := range proxyVars {
		if v == name {
			return true
		}
	}
	return false
}

// Adopt makes this process's environment the application's for what
// package config and the AWS SDK read: every AWS_* and proxy variable of
// this process is removed, and the target's are set, the file paths
// among them (the token files, AWS_CA_BUNDLE, the shared config files)
// re-rooted under /proc/PID/root so they name the files that container
// sees. The shared config files default to the target's $HOME/.aws, never
// the probe's. A shared config file naming a credential_process is not
// adopted: the SDK would run that command here. The probe's own
// IRSA_PROBE_* settings are its own and stay. Adopt returns what it
// changed that a reader of the report should know.
func (p *Process) Adopt() (notes []string, err error) {
	if err := Clear(); err != nil {
		return nil, err
	}
	vars := map[string]string{}
	for _, kv := range p.Env {
		name, value, ok := strings.Cut(kv, "=")
		if ok && adopted(name) && nameRE.MatchString(name) {
			vars[name] = value
		}
	}
	home := p.Getenv("HOME")
	if home == "" {
		home = "/"
	}
	if vars["AWS_CONFIG_FILE"] == "" {
		vars["AWS_CONFIG_FILE"] = path.Join(home, ".aws/config")
	}
	if vars["AWS_SHARED_CREDENTIALS_FILE"] == "" {
		vars["AWS_SHARED_CREDENTIALS_FILE"] = path.Join(home, ".aws/credentials")
	}
	for _, name := range pathVars {
		if v := vars[name]; v != "" {
			vars[name] = p.hostPath(v)
		}
	}
	for _, name := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		names, err := namesCredentialProcess(vars[name])
		if names || (err != nil && !errors.Is(err, fs.ErrNotExist)) {
			why := "names a credential_process, which irsa-probe does not run"
			if err != nil {
				why = "cannot be read safely: " + err.Error()
			}
			notes = append(notes, fmt.Sprintf("%s %s: not read", strings.TrimPrefix(vars[name], p.Root()), why))
			vars[name] = filepath.Join(p.Root(), "irsa-probe-refused", path.Base(vars[name]))
		}
	}
	for name, value := range vars {
		if err := os.Setenv(name, value); err != nil {
			return nil, fmt.Errorf("adopting %s: %w", name, err)
		}
	}
	return notes, nil
}

// Clear removes every AWS_* and proxy variable from this process's
// environment: with a target it could not read, the probe must not check
// its own identity in the application's name.
func Clear() error {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); adopted(name) {
			if err := os.Unsetenv(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// hostPath is name, a path of the target's (relative to its working
// directory), as this process can open it.
func (p *Process) hostPath(name string) string {
	if !path.IsAbs(name) {
		name = path.Join(p.Cwd, name)
	}
	return filepath.Join(p.Root(), filepath.FromSlash(path.Clean(name)))
}

// namesCredentialProcess says whether a shared config file sets
// credential_process (in any profile: which one the SDK reads is its call).
func namesCredentialProcess(file string) (bool, error) {
	b, err := safefile.Read(file, 1<<20)
	if err != nil {
		return false, err
	}
	return bytes.Contains(bytes.ToLower(b), []byte("credential_process")), nil
}
