package dvs

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/snnc/snnc/ir/events"
)

// Digits is a set of labelled grey images of one size, stored contiguously
// (as an IDX split: MNIST's 28×28 digits).
type Digits struct {
	N, Rows, Cols int
	Pixels        []uint8
	Labels        []uint8
}

// SaccadeMNIST records every image of digits with the sensor p moving in
// N-MNIST's three saccades (see Saccades) and returns one sample per image,
// in order, named "<split>/<label>/<index>". Sample i's noise and mismatch
// come from (seed, stream) with stream = streamBase + i, so the train and
// test splits use distinct streams when given distinct bases. workers ≥ 1
// samples are recorded at once; progress, when not nil, is called after each
// sample with the number done (from one goroutine at a time).
func SaccadeMNIST(digits Digits, split string, p Params, seed, streamBase uint64, workers int, progress func(done int)) ([]events.Sample, error) {
	if digits.N < 0 || digits.Rows <= 0 || digits.Cols <= 0 || len(digits.Pixels) != digits.N*digits.Rows*digits.Cols || len(digits.Labels) != digits.N {
		return nil, fmt.Errorf("dvs: %d images of %d×%d with %d pixel bytes and %d labels", digits.N, digits.Rows, digits.Cols, len(digits.Pixels), len(digits.Labels))
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	path, duration := Saccades()
	out := make([]events.Sample, digits.N)
	size := digits.Rows * digits.Cols
	var (
		mu       sync.Mutex
		done     int
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan int)
	)
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				im := &Image{Width: digits.Cols, Height: digits.Rows, Pixels: digits.Pixels[i*size : (i+1)*size]}
				rng := rand.New(rand.NewPCG(seed, streamBase+uint64(i)))
				evs, err := p.Record(im, path, duration, rng)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				out[i] = events.Sample{Name: fmt.Sprintf("%s/%d/%d", split, digits.Labels[i], i), Label: int(digits.Labels[i]), Events: evs}
				done++
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < digits.N; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// SaccadeSet records both splits (train on streams from 0, test on streams
// from 1<<32) into a dataset named name with the sensor's address space.
func SaccadeSet(name string, train, test Digits, p Params, seed uint64, workers int, progress func(done, total int)) (*events.Set, error) {
	total := train.N + test.N
	var prog func(int)
	set := &events.Set{Name: name, Sensor: p.Sensor()}
	var err error
	if progress != nil {
		prog = func(d int) { progress(d, total) }
	}
	if set.Train, err = SaccadeMNIST(train, events.TrainFolder, p, seed, 0, workers, prog); err != nil {
		return nil, err
	}
	if progress != nil {
		prog = func(d int) { progress(train.N+d, total) }
	}
	if set.Test, err = SaccadeMNIST(test, events.TestFolder, p, seed, 1<<32, workers, prog); err != nil {
		return nil, err
	}
	for _, s := range append(set.Train[:len(set.Train):len(set.Train)], set.Test...) {
		set.Classes = max(set.Classes, s.Label+1)
	}
	return set, nil
}
