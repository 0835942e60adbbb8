// Package parallel runs independent, indexed pieces of work on a few
// goroutines and hands their results to one consumer at a time, so that
// dataset generators give the same output whatever the number of workers.
package parallel

import (
	"context"
	"sync"
)

// Map computes work(i) for i = 0 … n−1 on workers goroutines (at least one)
// and calls emit(i, result) for each, one call at a time, in completion
// order. The first error (from work or emit) stops handing out new indices
// and is returned; so is ctx's error when it is cancelled first.
func Map[T any](ctx context.Context, n, workers int, work func(i int) (T, error), emit func(i int, r T) error) error {
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan int)
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := work(i)
				mu.Lock()
				if err == nil && firstErr == nil {
					err = emit(i, r)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n && !failed() && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
