package appsdk

import (
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// nodePackages: v2's single package, and v3's default-chain providers.
var nodePackages = []string{"aws-sdk", "@aws-sdk/credential-providers", "@aws-sdk/credential-provider-node"}

var nodeExeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(node|nodejs)(\d+)?$`) })

// detectNode looks for the packages in the node_modules directories
// require() would search from the working directory and from the main
// script's directory, nearest first.
func detectNode(p Proc) []Found {
	if !nodeExeRE().MatchString(p.exeName()) && !nodeExeRE().MatchString(argv0(p)) {
		return nil
	}
	var starts []string
	starts = append(starts, orSlash(p.Cwd))
	for _, a := range p.Args[min(1, len(p.Args)):] {
		if !strings.HasPrefix(a, "-") {
			starts = append(starts, path.Dir(p.abs(a)))
			break
		}
	}
	var out []Found
	for _, pkg := range nodePackages {
	search:
		for _, start := range starts {
			for dir := start; ; dir = path.Dir(dir) {
				pj := path.Join(dir, "node_modules", pkg, "package.json")
				if b, err := readSmall(p.host(pj)); err == nil {
					if name, v := parsePackageJSON(b); name == pkg && v != "" && !slices.ContainsFunc(out, func(f Found) bool { return f.Package == pkg }) {
						out = append(out, Found{Ecosystem: EcosystemNode, Package: pkg, Version: v, Where: pj})
						break search
					}
				}
				if dir == "/" {
					break
				}
			}
		}
	}
	return out
}

// parsePackageJSON is a package.json's name and version ("" when it has
// no valid version).
func parsePackageJSON(b []byte) (name, version string) {
	var pj struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &pj) != nil || !validVersion(pj.Version) {
		return "", ""
	}
	return pj.Name, pj.Version
}
