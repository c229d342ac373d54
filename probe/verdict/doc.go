// Package verdict is the outcome of a check and the exit codes of the
// binary: a contract with kubelet, scripts, dashboards and alerts.
//
// A check ends in exactly one Verdict, decided once from its findings'
// severities: OK (the identity works), Broken (a finding of severity
// error) or Undecided (the probe could not tell before its deadline: STS
// unreachable or throttling). Everything that reports the outcome (the
// exit code, the text report's first word, the result label of
// irsa_probe_checks_total, serve's readiness) asks the Verdict, so the
// mapping is written once, here.
package verdict
