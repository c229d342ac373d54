//go:build race

package check

// raceEnabled: the race detector slows this test process several times
// and adds to its memory; tests of timings or of the process's figures skip
// then, and make test runs them again without it (TIMING_TESTS).
const raceEnabled = true
