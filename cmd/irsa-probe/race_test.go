//go:build race

package main

// raceEnabled: the race detector slows this test process several times;
// timing tests skip then, and make test runs them again without it
// (TIMING_TESTS).
const raceEnabled = true
