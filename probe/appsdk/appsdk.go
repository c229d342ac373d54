package appsdk

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// The ecosystems Detect knows.
const (
	EcosystemGo     = "go"
	EcosystemPython = "python"
	EcosystemNode   = "node"
	EcosystemJava   = "java"
)

// Found is one AWS SDK package found in the process.
type Found struct {
	Ecosystem string `json:"ecosystem"`
	Package   string `json:"package"`
	Version   string `json:"version"`
	// Where is the file the version was read from, as the process sees it
	// (a jar entry as JAR!ENTRY).
	Where string `json:"where"`
	// Minimum is the oldest version supporting the mechanism; "" when every
	// version does, or when no mechanism is in use.
	Minimum string `json:"minimum,omitempty"`
	// TooOld: Version is older than Minimum.
	TooOld bool `json:"tooOld"`
	// RefreshDefect is a known defect of this release's credential
	// refresh under the mechanism (refreshdefects.go); nil when none.
	RefreshDefect *RefreshDefect `json:"refreshDefect,omitempty"`
}

// Proc is the process to inspect, as /proc shows it.
type Proc struct {
	// Root is the process's root directory seen from here: /proc/PID/root.
	Root string
	// Exe is the executable's path inside Root (the /proc/PID/exe link),
	// ExeFile a path this process can open it at (/proc/PID/exe itself).
	Exe, ExeFile string
	// Cwd is its working directory inside Root.
	Cwd string
	// Args is its command line; Env its environment.
	Args []string
	Env  map[string]string
}

// host is p's path name as a path this process can open.
func (p Proc) host(name string) string {
	if !path.IsAbs(name) {
		name = path.Join(p.Cwd, name)
	}
	return filepath.Join(p.Root, filepath.FromSlash(path.Clean(name)))
}

// abs makes name, relative to the process's working directory, absolute.
func (p Proc) abs(name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join(orSlash(p.Cwd), name)
}

func orSlash(s string) string {
	if s == "" {
		return "/"
	}
	return s
}

// exeName is the executable's base name, from the exe link, else argv[0].
func (p Proc) exeName() string {
	if p.Exe != "" {
		return path.Base(p.Exe)
	}
	if len(p.Args) > 0 {
		return path.Base(p.Args[0])
	}
	return ""
}

// Detect lists the AWS SDK packages p uses, each compared with the minimum
// for mechanism (iam.MechanismIRSA or iam.MechanismPodIdentity; any other value
// compares nothing). Nothing found is an empty list, never an error: what
// cannot be read is not known.
func Detect(p Proc, mechanism string) []Found {
	var found []Found
	for _, d := range []func(Proc) []Found{detectGo, detectPython, detectNode, detectJava} {
		found = append(found, d(p)...)
	}
	for i := range found {
		f := &found[i]
		f.Minimum = minimumFor(f.Ecosystem, f.Package, f.Version, mechanism)
		f.TooOld = f.Minimum != "" && Compare(f.Version, f.Minimum) < 0
		f.RefreshDefect = refreshDefectFor(f.Ecosystem, f.Package, f.Version, mechanism)
	}
	return found
}

// minimum is the oldest version of a package that supports each mechanism;
// "" where every version does.
type minimum struct{ irsa, podIdentity string }

// minimums are the EKS user guide's, by ecosystem and package. IRSA: "Use
// IRSA with the AWS SDK" (Java 1.12.782 there today; older editions said
// 1.11.704; Go v2 "all versions"; the AWS CLI v2 postdates web identity).
// Pod Identity: "Use pod identity with the AWS SDK" (Go v2
// "release-2023-11-14", the release of config v1.25.0 and credentials
// v1.16.0: "Add support for dynamic auth token from file and EKS container
// host", config/CHANGELOG.md). The JavaScript v3 packages shared the
// monorepo's version numbers at v3.27.0 and v3.458.0.
var minimums = map[string]minimum{
	"go github.com/aws/aws-sdk-go":           {"1.23.13", "1.47.11"},
	"go github.com/aws/aws-sdk-go-v2/config": {"", "1.25.0"},
	"python boto3":                           {"1.9.220", "1.34.41"},
	"python botocore":                        {"1.12.200", "1.34.41"},
	"python awscli":                          {"1.16.232", "1.30.0"},
	"python awscli v2":                       {"", "2.15.0"},
	"node aws-sdk":                           {"2.525.0", "2.1550.0"},
	"node @aws-sdk/credential-providers":     {"3.27.0", "3.458.0"},
	"node @aws-sdk/credential-provider-node": {"3.27.0", "3.458.0"},
	"java com.amazonaws:aws-java-sdk-core":   {"1.12.782", "1.12.746"},
	"java software.amazon.awssdk:auth":       {"2.10.11", "2.21.30"},
	"java com.amazonaws:aws-java-sdk-bundle": {"1.12.782", "1.12.746"},
	"java software.amazon.awssdk:bundle":     {"2.10.11", "2.21.30"},
}

func minimumFor(eco, pkg, version, mechanism string) string {
	key := eco + " " + pkg
	if key == "python awscli" && Compare(version, "2") >= 0 {
		key = "python awscli v2" // the CLI v2 is the same Python package, version 2.x
	}
	m := minimums[key]
	switch mechanism {
	case iam.MechanismIRSA:
		return m.irsa
	case iam.MechanismPodIdentity:
		return m.podIdentity
	}
	return ""
}

// Packages lists the packages Detect looks for, "ecosystem package", for
// documentation.
func Packages() []string {
	var out []string
	for k := range minimums {
		if !strings.HasSuffix(k, " v2") {
			out = append(out, k)
		}
	}
	return out
}
