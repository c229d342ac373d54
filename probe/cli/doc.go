// Package cli is the irsa-probe command line: one file per command
// (check, serve, trust-policy, version), each with its own flag set,
// description and example, over the settings of package config.
//
// The contract with users and scripts: every error and hint line starts
// with "irsa-probe:" and is printed by one helper (tui.go); a usage error
// is one line and a hint, exit 2; `COMMAND -h` lists that command's flags
// only. Golden transcripts in cmd/irsa-probe/testdata/transcripts hold the
// contract to its letter.
package cli
