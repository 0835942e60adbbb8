//go:build race

package sim

// raceEnabled: the race detector's instrumentation allocates, so tests
// that count allocations skip where it changes their counts.
const raceEnabled = true
