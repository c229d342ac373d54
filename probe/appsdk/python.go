package appsdk

import (
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// pythonPackages are looked for on the search path, in this order: the
// SDK's core, its wrapper, and the AWS CLI v1 (and Debian's CLI v2, the
// same package at version 2).
var pythonPackages = []string{"botocore", "boto3", "awscli"}

// pyVersionRE matches a module's __version__ assignment.
var pyVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^__version__\s*=\s*['"]([^'"\r\n]{1,64})['"]`) })

// awsCLIv2RE finds the version in the path of the AWS CLI v2's installer
// build (a frozen Python: /usr/local/aws-cli/v2/2.15.0/dist/aws).
var awsCLIv2RE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`/aws-cli/v2/(\d+\.\d+\.\d+)/dist/aws$`) })

// pyExeRE matches a Python interpreter's name, with its version if any.
var pyExeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^python(\d+(?:\.\d+)?)?$`) })

func detectPython(p Proc) []Found {
	if m := awsCLIv2RE().FindStringSubmatch(p.Exe); m != nil {
		return []Found{{Ecosystem: EcosystemPython, Package: "awscli", Version: m[1], Where: p.Exe}}
	}
	if !pyExeRE().MatchString(p.exeName()) && (len(p.Args) == 0 || !pyExeRE().MatchString(path.Base(p.Args[0]))) {
		return nil
	}
	var out []Found
	dirs := pythonPath(p)
	for _, pkg := range pythonPackages {
		for _, dir := range dirs {
			if f, ok := pythonPackage(p, dir, pkg); ok {
				out = append(out, f)
				break // the first on the path is the one imported
			}
		}
	}
	return out
}

// pythonPackage reads pkg's version in dir: its __init__.py's __version__
// (what the import gets), else the version in its .dist-info or .egg-info
// name.
func pythonPackage(p Proc, dir, pkg string) (Found, bool) {
	init := path.Join(dir, pkg, "__init__.py")
	if b, err := readSmall(p.host(init)); err == nil {
		if v := parsePyVersion(b); v != "" {
			return Found{Ecosystem: EcosystemPython, Package: pkg, Version: v, Where: init}, true
		}
	}
	if !isDir(p.host(path.Join(dir, pkg))) {
		return Found{}, false
	}
	for _, name := range readDirNames(p.host(dir)) {
		if v := distInfoVersion(name, pkg); v != "" {
			return Found{Ecosystem: EcosystemPython, Package: pkg, Version: v, Where: path.Join(dir, name)}, true
		}
	}
	return Found{}, false
}

// parsePyVersion is the __version__ a Python module assigns, "" if none.
func parsePyVersion(src []byte) string {
	m := pyVersionRE().FindSubmatch(src)
	if m == nil || !validVersion(string(m[1])) {
		return ""
	}
	return string(m[1])
}

// distInfoVersion is the version in a metadata directory's name
// (botocore-1.29.27.dist-info, botocore-1.29.27.egg-info,
// botocore-1.29.27-py3.11.egg-info) when it is pkg's, else "".
func distInfoVersion(name, pkg string) string {
	rest, ok := strings.CutPrefix(name, pkg+"-")
	if !ok {
		return ""
	}
	for _, suf := range []string{".dist-info", ".egg-info"} {
		if v, ok := strings.CutSuffix(rest, suf); ok {
			v, _, _ = strings.Cut(v, "-py")
			if validVersion(v) {
				return v
			}
		}
	}
	return ""
}

// pythonPath approximates the process's sys.path, in import order: the
// script's directory (or the working directory for -m and -c),
// PYTHONPATH, the virtual environment, the user site, then the
// interpreter's own site directories (Debian's dist-packages too).
func pythonPath(p Proc) []string {
	var dirs []string
	add := func(d string) {
		if d != "" && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	add(scriptDir(p))
	for _, d := range strings.Split(p.Env["PYTHONPATH"], ":") {
		if d != "" {
			add(p.abs(d))
		}
	}
	versions := pythonVersions(p)
	var prefixes []string
	if v := p.Env["VIRTUAL_ENV"]; v != "" {
		prefixes = append(prefixes, v)
	}
	// A venv's bin/python links to the base interpreter, which the exe
	// link names: the venv shows only in argv[0].
	if len(p.Args) > 0 && path.IsAbs(p.Args[0]) {
		prefixes = append(prefixes, path.Dir(path.Dir(p.Args[0])))
	}
	if home := p.Env["HOME"]; home != "" {
		for _, v := range versions {
			add(path.Join(home, ".local/lib/python"+v, "site-packages"))
		}
	}
	if p.Exe != "" {
		prefixes = append(prefixes, path.Dir(path.Dir(p.Exe)))
	}
	prefixes = append(prefixes, "/usr/local", "/usr")
	for _, pre := range prefixes {
		for _, v := range versions {
			add(path.Join(pre, "lib/python"+v, "site-packages"))
			add(path.Join(pre, "lib/python"+v, "dist-packages"))
		}
		add(path.Join(pre, "lib/python3/dist-packages"))
	}
	return dirs
}

// pythonVersions are the X.Y of the interpreter: from its name
// (python3.11), else the lib/python3.* directories beside it.
func pythonVersions(p Proc) []string {
	for _, name := range []string{p.exeName(), argv0(p)} {
		if m := pyExeRE().FindStringSubmatch(name); m != nil && strings.Contains(m[1], ".") {
			return []string{m[1]}
		}
	}
	var out []string
	for _, pre := range []string{path.Dir(path.Dir(p.Exe)), "/usr/local", "/usr"} {
		for _, name := range readDirNames(p.host(path.Join(pre, "lib"))) {
			if v, ok := strings.CutPrefix(name, "python"); ok && strings.Contains(v, ".") && validVersion(v) && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

func argv0(p Proc) string {
	if len(p.Args) == 0 {
		return ""
	}
	return path.Base(p.Args[0])
}

// scriptDir is sys.path[0]: the script's directory, or the working
// directory when Python runs a module (-m), a command (-c) or reads stdin.
func scriptDir(p Proc) string {
	for i := 1; i < len(p.Args); i++ {
		a := p.Args[i]
		switch {
		case a == "-m" || a == "-c" || a == "-":
			return orSlash(p.Cwd)
		case strings.HasPrefix(a, "-"):
			if a == "-W" || a == "-X" || a == "--check-hash-based-pycs" {
				i++ // the option's value
			}
			continue
		}
		return path.Dir(p.abs(a))
	}
	return orSlash(p.Cwd)
}
