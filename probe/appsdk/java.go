package appsdk

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"path"
	"regexp"
	"strings"
	"sync"
)

// javaArtifacts are the Maven artifacts whose version decides a Java
// program's support: v1's core, v2's auth, and each SDK's bundle (a shaded
// jar of every module, the core or auth included).
var javaArtifacts = []string{
	"com.amazonaws:aws-java-sdk-core", "com.amazonaws:aws-java-sdk-bundle",
	"software.amazon.awssdk:auth", "software.amazon.awssdk:bundle",
}

var javaExeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^java$`) })

// jarNameRE matches a library jar's file name, for nested jars whose
// metadata cannot be read: aws-java-sdk-core-1.12.500.jar, auth-2.20.0.jar.
var jarNameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(aws-java-sdk-core|aws-java-sdk-bundle|auth|bundle)-(\d[\w.\-]*)\.jar$`)
})

// detectJava reads the class path of a java process (-cp, -classpath,
// --class-path, else CLASSPATH; -jar's jar and its manifest Class-Path)
// and looks into each jar for the artifacts' META-INF/maven pom.properties,
// including the jars nested in a Spring Boot or WAR layout.
func detectJava(p Proc) []Found {
	if !javaExeRE().MatchString(p.exeName()) && !javaExeRE().MatchString(argv0(p)) {
		return nil
	}
	j := &javaScan{p: p, seen: map[string]bool{}}
	for _, jar := range classPath(p) {
		if j.budget >= maxJars {
			break
		}
		j.jar(jar)
	}
	return j.out
}

// classPath lists the jars of the process's class path, absolute.
func classPath(p Proc) []string {
	var cp, mainJar string
	for i := 1; i < len(p.Args); i++ {
		a := p.Args[i]
		switch {
		case (a == "-cp" || a == "-classpath" || a == "--class-path") && i+1 < len(p.Args):
			cp = p.Args[i+1]
			i++
		case strings.HasPrefix(a, "--class-path="):
			cp = strings.TrimPrefix(a, "--class-path=")
		case a == "-jar" && i+1 < len(p.Args):
			mainJar = p.Args[i+1]
			i = len(p.Args) // what follows is the program's
		case !strings.HasPrefix(a, "-"):
			i = len(p.Args) // the main class: the rest are its arguments
		}
	}
	if mainJar != "" {
		// -jar ignores -cp and CLASSPATH.
		return []string{p.abs(mainJar)}
	}
	if cp == "" {
		cp = p.Env["CLASSPATH"]
	}
	var out []string
	for _, e := range strings.Split(cp, ":") {
		switch {
		case e == "":
		case strings.HasSuffix(e, "/*") || e == "*":
			dir := p.abs(strings.TrimSuffix(strings.TrimSuffix(e, "*"), "/"))
			for _, name := range readDirNames(p.host(dir)) {
				if strings.HasSuffix(name, ".jar") {
					out = append(out, path.Join(dir, name))
				}
			}
		case strings.HasSuffix(e, ".jar"):
			out = append(out, p.abs(e))
		}
	}
	return out
}

type javaScan struct {
	p      Proc
	seen   map[string]bool
	out    []Found
	budget int
}

// jar looks into the jar at name (inside the process's root).
func (j *javaScan) jar(name string) {
	if j.seen[name] {
		return
	}
	j.seen[name] = true
	j.budget++
	f, err := openRegular(j.p.host(name))
	if err != nil {
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return
	}
	j.archive(zr, name, true)
}

// archive reads the pom.properties of the artifacts in zr, a jar at where;
// top is false for a nested jar (whose own nesting is not followed).
func (j *javaScan) archive(zr *zip.Reader, where string, top bool) {
	for _, zf := range zr.File {
		if g, a, ok := pomPath(zf.Name); ok && isJavaArtifact(g+":"+a) {
			if b, err := readZipEntry(zf, maxSmallFile); err == nil {
				if pg, pa, v := parsePomProperties(b); pg == g && pa == a && v != "" {
					j.add(g+":"+a, v, where+"!"+zf.Name)
				}
			}
			continue
		}
		if !top || j.budget >= maxJars {
			continue
		}
		switch {
		case zf.Name == "META-INF/MANIFEST.MF":
			if b, err := readZipEntry(zf, maxSmallFile); err == nil {
				for _, cp := range manifestClassPath(b) {
					if !strings.Contains(cp, "://") {
						j.jar(path.Join(path.Dir(where), cp))
					}
				}
			}
		case strings.HasSuffix(zf.Name, ".jar") && (strings.HasPrefix(zf.Name, "BOOT-INF/lib/") || strings.HasPrefix(zf.Name, "WEB-INF/lib/") || strings.HasPrefix(zf.Name, "lib/")):
			m := jarNameRE().FindStringSubmatch(path.Base(zf.Name))
			if m == nil {
				continue
			}
			j.budget++
			b, err := readZipEntry(zf, maxNestedJar)
			if err == nil {
				if nested, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil {
					before := len(j.out)
					j.archive(nested, where+"!"+zf.Name, false)
					if len(j.out) > before {
						continue
					}
				}
			}
			// No metadata inside: the file name is all there is.
			if a := nestedArtifact(m[1], zf.Name); a != "" && validVersion(m[2]) {
				j.add(a, m[2], where+"!"+zf.Name)
			}
		}
	}
}

// nestedArtifact guesses a library jar's artifact from its name; "auth"
// and "bundle" are common names, so only under the SDK's own.
func nestedArtifact(base, name string) string {
	switch base {
	case "aws-java-sdk-core", "aws-java-sdk-bundle":
		return "com.amazonaws:" + base
	}
	return ""
}

func (j *javaScan) add(artifact, version, where string) {
	for _, f := range j.out {
		if f.Package == artifact && f.Version == version {
			return
		}
	}
	j.out = append(j.out, Found{Ecosystem: EcosystemJava, Package: artifact, Version: version, Where: where})
}

func isJavaArtifact(ga string) bool {
	for _, a := range javaArtifacts {
		if a == ga {
			return true
		}
	}
	return false
}

// pomPath splits META-INF/maven/GROUP/ARTIFACT/pom.properties.
func pomPath(name string) (group, artifact string, ok bool) {
	rest, ok := strings.CutPrefix(name, "META-INF/maven/")
	if !ok {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[2] != "pom.properties" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// readZipEntry reads an entry of at most max bytes (uncompressed: the
// header's size is not trusted, the reader is capped).
func readZipEntry(zf *zip.File, max int64) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, io.ErrShortBuffer
	}
	return b, nil
}

// parsePomProperties reads the groupId, artifactId and version Maven
// writes into a jar's pom.properties (key=value lines, # comments).
func parsePomProperties(b []byte) (group, artifact, version string) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "groupId":
			group = v
		case "artifactId":
			artifact = v
		case "version":
			version = v
		}
	}
	if !validVersion(version) {
		version = ""
	}
	return group, artifact, version
}

// manifestClassPath is the Class-Path of a jar manifest (continuation
// lines start with a space).
func manifestClassPath(b []byte) []string {
	var value string
	in := false
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		switch {
		case in && strings.HasPrefix(line, " "):
			value += line[1:]
		case strings.HasPrefix(line, "Class-Path:"):
			value, in = strings.TrimPrefix(line, "Class-Path:"), true
		default:
			in = false
		}
	}
	return strings.Fields(value)
}
