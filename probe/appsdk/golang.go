package appsdk

import (
	"debug/buildinfo"
	"runtime/debug"
)

// goModules are the modules whose version decides a Go program's support:
// v1's single module, and v2's config module, whose default chain is what
// programs use (Pod Identity came with config v1.25.0).
var goModules = []string{"github.com/aws/aws-sdk-go", "github.com/aws/aws-sdk-go-v2/config"}

// detectGo reads the build info of the process's executable. It reads the
// sections it needs, not the whole binary; a binary that is not Go's has
// none.
func detectGo(p Proc) []Found {
	if p.ExeFile == "" {
		return nil
	}
	f, err := openRegular(p.ExeFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	bi, err := buildinfo.Read(f)
	if err != nil {
		return nil
	}
	return goFound(bi, p.Exe)
}

// goFound lists the SDK modules of bi, a binary at where.
func goFound(bi *debug.BuildInfo, where string) []Found {
	var out []Found
	for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
		for _, want := range goModules {
			if m.Path != want {
				continue
			}
			v := m.Version
			if m.Replace != nil && m.Replace.Version != "" {
				v = m.Replace.Version
			}
			if validVersion(v) {
				out = append(out, Found{Ecosystem: EcosystemGo, Package: m.Path, Version: v, Where: where})
			}
		}
	}
	return out
}
