package parallel

import (
	"context"
	"errors"
	"testing"
)

func TestMapEveryIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3} {
		seen := make([]int, 50)
		err := Map(context.Background(), 50, workers, func(i int) (int, error) { return i * i, nil },
			func(i, r int) error {
				if r != i*i {
					t.Errorf("index %d got %d", i, r)
				}
				seen[i]++
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("%d workers: index %d emitted %d times", workers, i, c)
			}
		}
	}
}

func TestMapStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	emitted := 0
	err := Map(context.Background(), 1000, 2, func(i int) (int, error) {
		if i == 5 {
			return 0, boom
		}
		return i, nil
	}, func(int, int) error { emitted++; return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if emitted > 100 {
		t.Errorf("%d results emitted after an early error", emitted)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Map(ctx, 10, 1, func(i int) (int, error) { return i, nil }, func(int, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
