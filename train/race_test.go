//go:build race

package train

// raceEnabled: the race detector's instrumentation allocates, so tests
// that count allocations skip.
const raceEnabled = true
