package dvs

import "embed"

// The embedded subset: saccade MNIST of the first 200 training and 50 test
// digits of the embedded MNIST subset (ir/dataset), default sensor, seed
// 1, stored as spike-set files (unit = polarity·34·34 + y·34 + x) with times
// rounded to 1 ms (1.5 MB). Regenerate it with
//
//	go run ./cmd/snnc data saccade-mnist --limit-train 200 --limit-test 50 \
//	    --format spikes --tick 1ms --seed 1 -o DIR
//
// and copy DIR/train.spikes and DIR/test.spikes into ir/events/dvs/embedded.
//
//go:embed embedded/train.spikes embedded/test.spikes
var embedded embed.FS
