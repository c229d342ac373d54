package finding

// The findings of `check --target` (package check's step_target.go): the
// application process could not be read, or its AWS SDK is too old for
// the mechanism. Kept apart from catalog.go and merged into the catalog
// during package initialisation, before init compiles the templates
// (package-level variables are initialised before any init function).

const (
	CodeTargetUnreadable Code = "target-unreadable"
	CodeAppSDKTooOld     Code = "app-sdk-too-old"
	CodeAppSDKUnknown    Code = "app-sdk-unknown"
)

// Evidence keys of the target findings.
const (
	EvTargetPID     = "target_pid"
	EvTargetUID     = "target_uid"
	EvSDKEcosystem  = "sdk_ecosystem"
	EvSDKPackage    = "sdk_package"
	EvSDKVersion    = "sdk_version"
	EvSDKMinimum    = "sdk_minimum"
	EvSDKWhere      = "sdk_where"
	EvMechanismName = "mechanism_name"
)

// SeverityInfo: said for the reader's information; it changes nothing
// (verdict OK, exit 0) and is never a problem the summary leads with.
const SeverityInfo Severity = "info"

var targetCatalog = map[Code]entry{
	CodeTargetUnreadable: {
		Severity: SeverityUndecided,
		Title:    "check --target cannot read the application's process (another user, hidepid)",
		Detected: "reading /proc/PID/environ, cwd, exe or root: permission denied, or the process hidden",
		Message:  `irsa-probe ({{.process_user}}) cannot read {{d .target_pid "the application's process"}}{{if .target_uid}} (uid {{.target_uid}}){{end}}: {{.detail}}. The identity was not checked: the probe's own environment is not the application's.`,
		Fix: `Run the probe as the application's user, which may read its own processes without extra capabilities (and passes the restricted Pod Security level): kubectl irsa-probe does, from the pod's securityContext:
  kubectl irsa-probe {{nsFlag .}} {{d .pod "POD"}}
Or by hand, an ephemeral container with runAsUser {{d .target_uid "UID"}}:
  kubectl irsa-probe {{nsFlag .}} {{d .pod "POD"}} --print
Where Pod Security allows it, CAP_SYS_PTRACE reads any user's process: kubectl debug {{nsFlag .}} {{d .pod "POD"}} --target=CONTAINER --profile=general --image=IMAGE -- irsa-probe check --target=auto. A /proc mounted with hidepid shows a user only their own processes: only the same uid helps.`,
	},
	CodeAppSDKTooOld: {
		Severity: SeverityError,
		Title:    "the application's AWS SDK is older than the first version supporting the mechanism",
		Detected: "check --target: the SDK's version in the process (Go build info, Python, Node.js or Java package metadata) against the EKS user guide's minimums",
		Message:  `The application uses {{.sdk_package}} {{.sdk_version}} ({{.sdk_ecosystem}}, {{.sdk_where}}), older than {{.sdk_minimum}}, the first version whose default credential chain supports {{d .mechanism_name "the mechanism"}}: it skips the pod's identity and falls through to the next credentials in its chain (usually the node's instance role), even though irsa-probe's own check works.`,
		Fix: `Upgrade the SDK to {{.sdk_minimum}} or later, rebuild the image and redeploy:{{if .sdk_ecosystem "python"}} boto3 and botocore move together; for the AWS CLI, install a current release.{{end}}{{if .sdk_ecosystem "java"}} raise {{.sdk_package}} (or the SDK's BOM) in pom.xml or build.gradle; this shows what pulls the old one in:{{end}}
{{if .sdk_ecosystem "go"}}  go get {{.sdk_package}}@v{{.sdk_minimum}}
  go mod tidy{{end}}{{if .sdk_ecosystem "python"}}  pip install --upgrade '{{.sdk_package}}>={{.sdk_minimum}}'{{end}}{{if .sdk_ecosystem "node"}}  npm install '{{.sdk_package}}@^{{.sdk_minimum}}'{{end}}{{if .sdk_ecosystem "java"}}  mvn dependency:tree -Dincludes={{.sdk_package}}{{end}}
Then check the running pod again: the report names the SDK and version it finds.
  kubectl irsa-probe {{nsFlag .}} {{d .pod "POD"}}
The EKS user guide lists the minimums: "Use IRSA with the AWS SDK" and "Use pod identity with the AWS SDK".`,
	},
	CodeAppSDKUnknown: {
		Severity: SeverityInfo,
		Title:    "check --target recognised no AWS SDK in the application's process",
		Detected: "check --target: no Go build info, Python, Node.js or Java SDK package found",
		Message:  `No AWS SDK was recognised in {{d .target_pid "the application's process"}}{{if .detail}} ({{.detail}}){{end}}, so its version was not compared with the minimum for {{d .mechanism_name "the mechanism"}}.`,
		Fix:      `Nothing to fix if the application does not call AWS. Otherwise make sure its SDK supports the mechanism: the EKS user guide lists the minimum versions ("Use IRSA with the AWS SDK", "Use pod identity with the AWS SDK"). irsa-probe recognises Go binaries (build info), botocore/boto3/the AWS CLI, aws-sdk and @aws-sdk/credential-provider(s|-node), and aws-java-sdk-core/software.amazon.awssdk:auth jars.`,
	},
}

// mergeTargetCatalog adds targetCatalog to the catalog; as a package-level
// variable's initialiser it runs after catalog's and before init.
var _ = mergeTargetCatalog()

func mergeTargetCatalog() bool {
	for c, e := range targetCatalog {
		catalog[c] = e
	}
	return true
}
