// Package hint is how both binaries talk to a person on stderr when
// something fails: one "PROG: error: …" line per line of the error (a
// value with a newline in it cannot forge a line of its own), then
// "PROG: hint: …" with what to run next, and the exit code the error
// carries (package verdict's table).
package hint
