package dvs

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"

	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/internal/parallel"
)

// Digits is a set of labelled grey images of one size, stored contiguously
// (as an IDX split: MNIST's 28×28 digits).
type Digits struct {
	N, Rows, Cols int
	Pixels        []uint8
	Labels        []uint8
}

func (d Digits) check() error {
	if d.N < 0 || d.Rows <= 0 || d.Cols <= 0 || len(d.Pixels) != d.N*d.Rows*d.Cols || len(d.Labels) != d.N {
		return fmt.Errorf("dvs: %d images of %d×%d with %d pixel bytes and %d labels", d.N, d.Rows, d.Cols, len(d.Pixels), len(d.Labels))
	}
	return nil
}

// SaccadeMNIST records every image of digits with the sensor p moving in
// N-MNIST's three saccades (see Saccades) and hands image i's events to
// emit(i, events), once per image, in any order but one call at a time; an
// error from emit stops the recording. Image i's noise and mismatch come
// from the generator seeded (seed, streamBase + i), so the result does not
// depend on workers (≥ 1 images recorded at once), and distinct bases give
// the train and test splits distinct streams.
func SaccadeMNIST(digits Digits, p Params, seed, streamBase uint64, workers int, emit func(i int, evs []events.Event) error) error {
	if err := digits.check(); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	path, duration := Saccades()
	size := digits.Rows * digits.Cols
	return parallel.Map(context.Background(), digits.N, workers, func(i int) ([]events.Event, error) {
		im := &Image{Width: digits.Cols, Height: digits.Rows, Pixels: digits.Pixels[i*size : (i+1)*size]}
		return p.Record(im, path, duration, rand.New(rand.NewPCG(seed, streamBase+uint64(i))))
	}, emit)
}

// testStreams is the stream base of the test split.
const testStreams = 1 << 32

// SaccadeSet records both splits into memory (train on streams from 0, test
// on streams from 2^32). progress, when not nil, is called after each image
// with the number done and the total.
func SaccadeSet(name string, train, test Digits, p Params, seed uint64, workers int, progress func(done, total int)) (*events.Set, error) {
	set := &events.Set{Name: name, Sensor: p.Sensor()}
	done := 0
	for _, split := range []struct {
		name   string
		digits Digits
		dst    *[]events.Sample
		base   uint64
	}{{events.TrainFolder, train, &set.Train, 0}, {events.TestFolder, test, &set.Test, testStreams}} {
		*split.dst = make([]events.Sample, split.digits.N)
		err := SaccadeMNIST(split.digits, p, seed, split.base, workers, func(i int, evs []events.Event) error {
			label := int(split.digits.Labels[i])
			(*split.dst)[i] = events.Sample{Name: events.SampleFile(split.name, label, i), Label: label, Events: evs}
			set.Classes = max(set.Classes, label+1)
			done++
			if progress != nil {
				progress(done, train.N+test.N)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return set, nil
}

// WriteSaccadeFolder records both splits as SaccadeSet does but writes each
// sample to its N-MNIST file as soon as it is recorded (so memory does not
// grow with the dataset), through events.WriteTree: nothing half-written.
// It returns the number of events written.
func WriteSaccadeFolder(dir string, train, test Digits, p Params, seed uint64, workers int, progress func(done, total int)) (int, error) {
	total, done := 0, 0
	err := events.WriteTree(dir, []string{events.TrainFolder, events.TestFolder}, func(tmp string) error {
		for _, split := range []struct {
			name   string
			digits Digits
			base   uint64
		}{{events.TrainFolder, train, 0}, {events.TestFolder, test, testStreams}} {
			err := SaccadeMNIST(split.digits, p, seed, split.base, workers, func(i int, evs []events.Event) error {
				if err := events.WriteSampleFile(tmp, split.name, int(split.digits.Labels[i]), i, evs, p.Sensor()); err != nil {
					return fmt.Errorf("dvs: write %s: %w", dir, err)
				}
				total += len(evs)
				done++
				if progress != nil {
					progress(done, train.N+test.N)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return total, err
}

// EmbeddedName names the embedded subset.
const EmbeddedName = "saccade-mnist-subset (embedded)"

// Embedded returns the embedded saccade-MNIST subset (see embed.go).
func Embedded() (*events.Set, error) {
	sub, err := fs.Sub(embedded, "embedded")
	if err != nil {
		return nil, fmt.Errorf("dvs: embedded: %w", err)
	}
	d, err := events.ReadSpikeFiles(sub)
	if err != nil {
		return nil, fmt.Errorf("dvs: embedded subset: %w", err)
	}
	sensor := DefaultParams().Sensor()
	if d.Channels != sensor.Size() {
		return nil, fmt.Errorf("dvs: embedded subset has %d channels, want %d", d.Channels, sensor.Size())
	}
	set := &events.Set{Name: EmbeddedName, Sensor: sensor}
	if set.Train, err = events.FromSpikeSets(d.Train, sensor, events.TrainFolder); err != nil {
		return nil, fmt.Errorf("dvs: embedded subset: %w", err)
	}
	if set.Test, err = events.FromSpikeSets(d.Test, sensor, events.TestFolder); err != nil {
		return nil, fmt.Errorf("dvs: embedded subset: %w", err)
	}
	for _, s := range set.Train {
		set.Classes = max(set.Classes, s.Label+1)
	}
	return set, nil
}
