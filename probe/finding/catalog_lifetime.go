package finding

// The findings of a credential's life after start: a token kubelet did not
// replace in time (serve, package serve's tokenwatch.go), an application
// mount that never receives kubelet's replacement (check --target, package
// check's step_target.go), and an SDK release whose refresh is known to
// fail (package appsdk's refreshdefects.go). Merged into the catalog as
// catalog_target.go's entries are.

const (
	CodeTokenNotRotated      Code = "token-not-rotated"
	CodeTokenMountNotRotated Code = "token-mount-not-rotated"
	CodeAppSDKRefreshDefect  Code = "app-sdk-refresh-defect"
)

// Evidence keys of the lifetime findings.
const (
	EvTokenKind      = "token_kind"       // irsa or pod-identity
	EvTokenAge       = "token_age"        // now - iat
	EvTokenChangedAt = "token_changed_at" // when the file's content last changed
	EvRotateAt       = "rotate_at"        // when kubelet should have replaced it
	EvRotations      = "rotations"        // rotations serve has seen
	EvErrorAt        = "error_at"         // when the warning becomes an error
	EvContainer      = "container"        // the application's container
	EvMountSource    = "mount_source"     // pod spec, or /proc/PID/mountinfo
	EvMountPath      = "mount_path"       // where the token's mount is, as found
	EvMountRoot      = "mount_root"       // the mount's root within its volume (mountinfo field 4)
	EvTokenDir       = "token_dir"        // the directory the webhook mounts the volume on
	EvSDKAffected    = "sdk_affected"     // the affected range of a refresh defect
	EvSDKFixed       = "sdk_fixed"        // its first fixed release
	EvSDKUpstream    = "sdk_upstream"     // the upstream issue or pull request
	EvSDKDefect      = "sdk_defect"       // what the defect does
)

var lifetimeCatalog = map[Code]entry{
	CodeTokenNotRotated: {
		Severity: SeverityWarning,
		Title:    "the token file was not replaced when kubelet rotates it (80% of its lifetime or 24 h): a warning, an error shortly before it expires",
		Detected: "serve: the token file's iat/exp and content, re-read every second",
		Message:  `The {{d .token_kind "projected"}} token in {{.token_file}} is {{.token_age}} old and expires in {{.time_left}} ({{.exp}}); kubelet replaces it at 80% of its lifetime or after 24 h, whichever comes first ({{.rotate_at}}), but the file last changed at {{.token_changed_at}} ({{d .rotations "0"}} rotations seen). {{if .error_at}}Readiness fails from {{.error_at}}, before the token expires and every call made with it fails.{{else}}Once it expires, STS and the Pod Identity agent refuse it.{{end}}`,
		Fix: `The file is mounted so that kubelet's updates never reach it (a subPath mount of the token volume, or a copy), or kubelet cannot get a new token from the API server. Look for a subPath in this container's mount of the token volume; mount the volume on the directory as the webhook does (mountPath {{d .token_dir "/var/run/secrets/eks.amazonaws.com/serviceaccount"}}, no subPath):
  kubectl get pod {{nsFlag .}} {{d .pod "POD"}} -o jsonpath='{range .spec.containers[*]}{.name}{": "}{range .volumeMounts[*]}{.mountPath}{" subPath="}{.subPath}{"  "}{end}{"\n"}{end}'
Then look at kubelet's view: the pod's events, and kubelet's log on its node (TokenRequest errors):
  kubectl get events {{nsFlag .}} --field-selector involvedObject.name={{d .pod "POD"}}
A new pod gets a new token at once:
  {{restart .}}`,
	},
	CodeTokenMountNotRotated: {
		Severity: SeverityWarning,
		Title:    "the application reads its token from a mount kubelet's rotation never reaches (subPath, a copy, another path): it fails when the first token expires",
		Detected: "check --target: /proc/PID/mountinfo and the file's inode against the projected volume's; the plugin and the fleet view: the pod spec's volumeMounts",
		Message:  `{{if .container}}Container {{.container}}{{else}}The application{{end}} reads its token from {{d .token_file "a file"}}, which kubelet never updates: {{.detail}} (seen in {{.mount_source}}). kubelet rotates the token by swapping a symlink inside the volume's directory; a subPath mount or a copy keeps the first token, and every call fails once it expires{{if .exp}} ({{.exp}}){{end}}, while the pod still looks healthy.`,
		Fix: `Mount the token volume on its directory, as the EKS pod identity webhook does, with no subPath, and point AWS_WEB_IDENTITY_TOKEN_FILE at the file in it (not at a copy):
  volumeMounts:
  - name: {{d .token_volume "aws-iam-token"}}
    mountPath: {{d .token_dir "/var/run/secrets/eks.amazonaws.com/serviceaccount"}}
    readOnly: true
Then recreate the pods and check again:
  {{restart .}}
  kubectl irsa-probe {{nsFlag .}} {{d .pod "POD"}}`,
	},
	CodeAppSDKRefreshDefect: {
		Severity: SeverityWarning,
		Title:    "the application's AWS SDK release has a known credential-refresh defect under IRSA or Pod Identity",
		Detected: "check --target: the SDK's version in the process against a table of upstream issues (affected range, fixed release)",
		Message:  `The application uses {{.sdk_package}} {{.sdk_version}} ({{.sdk_ecosystem}}, {{.sdk_where}}), in the range {{.sdk_affected}} of a known refresh defect: {{.sdk_defect}} ({{.sdk_upstream}}). It works at start, so every start-up check passes, and fails later in the pod's life.`,
		Fix: `Upgrade the SDK to {{d .sdk_fixed "its fixed release"}} or later, rebuild the image and redeploy:
{{if .sdk_ecosystem "go"}}  go get {{.sdk_package}}@v{{d .sdk_fixed "VERSION"}}
  go mod tidy{{end}}{{if .sdk_ecosystem "python"}}  pip install --upgrade '{{.sdk_package}}>={{d .sdk_fixed "VERSION"}}'{{end}}{{if .sdk_ecosystem "node"}}  npm install '{{.sdk_package}}@^{{d .sdk_fixed "VERSION"}}'{{end}}{{if .sdk_ecosystem "java"}}  mvn dependency:tree -Dincludes={{.sdk_package}}{{end}}
The defect and its fix: {{d .sdk_upstream "the SDK's changelog"}}. Then check the running pod again: the report names the SDK and version it finds.
  kubectl irsa-probe {{nsFlag .}} {{d .pod "POD"}}`,
	},
}

var _ = mergeLifetimeCatalog()

func mergeLifetimeCatalog() bool {
	for c, e := range lifetimeCatalog {
		catalog[c] = e
	}
	return true
}
