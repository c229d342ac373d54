//go:build race

package plugin

// raceEnabled: the race detector slows the plugin (and the fake kubectl,
// this test binary) several times; timings are not asserted then.
const raceEnabled = true
