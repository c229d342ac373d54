package finding

import (
	"regexp"
	"strings"
)

// Every fix is printed as lines a person pastes into a shell, indented
// under "fix:". So a fix never uses a heredoc (its closing word would be
// indented and never end it), and every value from outside that lands in a
// command is quoted when it holds anything a shell would read.

// shellSafeRE matches words a shell passes through unchanged.
var shellSafeRE = regexp.MustCompile(`^[A-Za-z0-9_./:=,@+%^-]+$`)

// shq is s as one shell word: unchanged when it is safe, else single-quoted.
func shq(s string) string {
	if s != "" && shellSafeRE.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellKeys are the evidence keys fixes put into commands: their values
// are quoted (shq) when a fix template prints them. Other keys (details,
// error messages) only appear in prose.
var shellKeys = map[string]bool{
	EvRole: true, EvExpectedRole: true, EvAccount: true, EvPartition: true, EvRegion: true, EvTokenFile: true,
	EvIssuer: true, EvSubject: true, EvAudience: true, EvExpectedAud: true, EvNamespace: true, EvServiceAccount: true,
	EvPod: true, EvCluster: true, EvNoProxy: true, EvJWKSURI: true, EvTokenVolume: true, EvFSGroup: true,
}

// writeFileCommand is a command that writes doc (which may span lines)
// to name: printf with the document single-quoted, which stays one
// command however the lines are indented when printed.
func writeFileCommand(name, doc string) string {
	return "printf '%s\\n' " + shq(doc) + " > " + name
}

// ShellWord is s as one shell word: unchanged when it is safe, else
// single-quoted. For commands built outside the catalog (the kubectl
// plugin's fleet view).
func ShellWord(s string) string { return shq(s) }
