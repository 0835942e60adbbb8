package sim

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// Options control a simulation run.
type Options struct {
	// Limit is the most test samples to run (≤ 0: all).
	Limit int
	// Workers is the number of samples simulated in parallel (≤ 0:
	// GOMAXPROCS). Results do not depend on it.
	Workers int
	// Trace, if set, receives the spike raster as CSV lines
	// "sample,step,layer,neuron" (layer is the model's layer index, step the
	// chip step, or the time step in float mode), in sample order, after a
	// header line.
	Trace io.Writer
	// Reference also runs the float reference on a compiled model and fills
	// Stats.ReferenceCorrect and Stats.Agreeing.
	Reference bool
	// Progress, if set, is called after each sample with the number done
	// and the total (from one goroutine at a time).
	Progress func(done, total int)
	// Timing is the timing model of a chip run: TimingSimple,
	// TimingContention, TimingSANAFE, or "" for contention where the target
	// has the data (ResolveTiming).
	Timing string
}

// TraceHeader is the first line written to Options.Trace.
const TraceHeader = "sample,step,layer,neuron\n"

// Run simulates the test split of set (at most opts.Limit samples) on m. A
// compiled model (Quantized and Mapping set) runs on the chip simulator of
// its target; a float model runs the float reference (see RunFloat). A model
// with quantized weights but no mapping is an error.
func Run(ctx context.Context, m *ir.Model, set *dataset.Set, opts Options) (*Stats, error) {
	if m == nil {
		return nil, modelErr("model is nil")
	}
	switch {
	case m.Quantized == nil && m.Mapping == nil:
		return RunFloat(ctx, m, set, opts)
	case m.Quantized == nil:
		return nil, modelErr("model has a mapping but no quantized network")
	case m.Mapping == nil:
		return nil, modelErr("model is quantized for %s but not mapped onto cores (run snnc compile)", m.Quantized.Target)
	}
	if t, err := targets.Lookup(m.Quantized.Target); err == nil {
		if rb, ok := t.Backend().(targets.RecurrentCoreBackend); ok && t.Backend().Capabilities().RecurrentCore {
			return runRecurrentCore(ctx, m, set, opts, t, rb) // recurrent.go
		}
	}
	p, err := lowerChip(m)
	if err != nil {
		return nil, err
	}
	if err := checkData(p.net, set); err != nil {
		return nil, err
	}
	timing, err := ResolveTiming(p.target, opts.Timing)
	if err != nil {
		return nil, err
	}
	if timing != TimingSimple {
		p.timing = newTimingProgram(p)
		if timing == TimingSANAFE {
			p.timing.sanafe = newSanafeProgram(p, p.timing)
		}
	}
	// the float reference of a temporal model (temporal.go), nil for the
	// others
	var tp *temporalProgram
	if opts.Reference && needsTemporalReference(m) {
		if tp, err = lowerTemporal(m); err != nil {
			return nil, err
		}
	}
	split := set.Test.Limit(opts.Limit, set.ImageSize())
	start := time.Now()
	type pair struct {
		chip *chipWorker
		ref  refWorker
	}
	var ws []*pair
	var mu sync.Mutex
	res, err := drive(ctx, split, set.ImageSize(), opts, func() sampleFunc {
		pw := &pair{chip: newChipWorker(p)}
		pw.chip.tracing = opts.Trace != nil
		if opts.Reference {
			pw.ref = newRefWorker(p.net, tp)
		}
		mu.Lock()
		ws = append(ws, pw)
		mu.Unlock()
		return func(i int, x []uint8) (int, int, float64, []byte) {
			pred, lat := pw.chip.runSample(i, x)
			ref := -1
			if pw.ref != nil {
				var cur []float32
				if p.net.enc == ir.EncodingDirect && !p.layers[0].graded {
					cur = pw.chip.cur // computed for the host's bias
				}
				ref = pw.ref.run(i, x, cur)
			}
			return pred, ref, lat, pw.chip.trace
		}
	})
	if err != nil {
		return nil, err
	}
	st := &Stats{
		Target:   m.Quantized.Target,
		Steps:    p.steps,
		PerLayer: make([]Counts, len(m.Layers)),
		PerCore:  make([]Counts, len(p.cores)),
		PerStep:  make([]Counts, p.steps),
	}
	st.Timing = timing
	var contention []int64 // femtoseconds per layer
	if timing != TimingSimple {
		contention = make([]int64, len(m.Layers))
	}
	for _, w := range ws {
		addAll(st.PerLayer, w.chip.perLayer)
		addAll(st.PerCore, w.chip.perCore)
		addAll(st.PerStep, w.chip.perStep)
		if contention != nil {
			for l, c := range w.chip.tm.contention {
				contention[l] += c
			}
		}
	}
	res.fill(st, split, opts.Reference)
	for _, c := range contention {
		st.ContentionPerLayer = append(st.ContentionPerLayer, float64(c)*1e-15/float64(max(1, st.Samples)))
	}
	st.WallSeconds = time.Since(start).Seconds()
	return st, nil
}

// RunFloat runs the float reference of m (ignoring any quantized network and
// mapping) on the test split of set: Θ spikes, float32 state, T steps without
// pipeline delay. PerCore is empty; ReferenceCorrect and Agreeing equal
// Correct and Samples.
func RunFloat(ctx context.Context, m *ir.Model, set *dataset.Set, opts Options) (*Stats, error) {
	if needsTemporalReference(m) {
		return runTemporalFloat(ctx, m, set, opts) // temporal.go
	}
	p, err := lowerFloat(m)
	if err != nil {
		return nil, err
	}
	if err := checkData(p, set); err != nil {
		return nil, err
	}
	split := set.Test.Limit(opts.Limit, set.ImageSize())
	start := time.Now()
	var ws []*floatWorker
	var mu sync.Mutex
	res, err := drive(ctx, split, set.ImageSize(), opts, func() sampleFunc {
		w := newFloatWorker(p)
		w.tracing = opts.Trace != nil
		mu.Lock()
		ws = append(ws, w)
		mu.Unlock()
		return func(i int, x []uint8) (int, int, float64, []byte) {
			pred := w.runSample(i, x, nil)
			return pred, pred, 0, w.trace
		}
	})
	if err != nil {
		return nil, err
	}
	st := &Stats{
		Steps:    p.T,
		PerLayer: make([]Counts, len(m.Layers)),
		PerStep:  make([]Counts, p.T),
	}
	for _, w := range ws {
		addAll(st.PerLayer, w.perLayer)
		addAll(st.PerStep, w.perStep)
	}
	res.fill(st, split, true)
	st.WallSeconds = time.Since(start).Seconds()
	return st, nil
}

func addAll(dst, src []Counts) {
	for i := range src {
		dst[i].Add(&src[i])
	}
}

// sampleFunc simulates sample i with image x and returns the prediction,
// the reference prediction (−1 if none), the chip latency and the sample's
// trace lines (valid until the next call).
type sampleFunc func(i int, x []uint8) (pred, ref int, latency float64, trace []byte)

type results struct {
	pred, ref []int32
	lat       []float64
}

func (r *results) fill(st *Stats, split dataset.Split, reference bool) {
	st.Samples = len(r.pred)
	st.Predictions = make([]int, len(r.pred))
	lat := 0.0
	for i, p := range r.pred {
		y := int(split.Labels[i])
		st.Predictions[i] = int(p)
		if int(p) == y {
			st.Correct++
		}
		if reference {
			if int(r.ref[i]) == y {
				st.ReferenceCorrect++
			}
			if r.ref[i] == p {
				st.Agreeing++
			}
		}
		lat += r.lat[i]
	}
	if reference {
		st.ReferencePredictions = make([]int, len(r.ref))
		for i, p := range r.ref {
			st.ReferencePredictions[i] = int(p)
		}
	}
	for i := range st.PerLayer {
		st.Total.Add(&st.PerLayer[i])
	}
	if st.Samples > 0 {
		st.LatencyPerSample = lat / float64(st.Samples)
	}
}

// drive runs the samples of split on parallel workers, each made by
// newWorker and used by one goroutine. Samples are handed out in order;
// trace output is written in sample order.
func drive(ctx context.Context, split dataset.Split, size int, opts Options, newWorker func() sampleFunc) (*results, error) {
	n := split.N
	res := &results{pred: make([]int32, n), ref: make([]int32, n), lat: make([]float64, n)}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	tw := &traceWriter{w: opts.Trace, pending: make(map[int][]byte)}
	if opts.Trace != nil {
		if _, err := io.WriteString(opts.Trace, TraceHeader); err != nil {
			return nil, fmt.Errorf("sim: trace: %w", err)
		}
	}
	var next atomic.Int64
	var progMu sync.Mutex
	done := 0 // under progMu
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		run := newWorker()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() {
					return
				}
				if ctx.Err() != nil {
					failed.Store(true)
					return
				}
				pred, ref, lat, trace := run(i, split.Image(i, size))
				res.pred[i], res.ref[i], res.lat[i] = int32(pred), int32(ref), lat
				if opts.Trace != nil {
					if err := tw.write(i, trace); err != nil {
						failed.Store(true)
						return
					}
				}
				if opts.Progress != nil {
					progMu.Lock()
					done++
					opts.Progress(done, n)
					progMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if tw.err != nil {
		return nil, fmt.Errorf("sim: trace: %w", tw.err)
	}
	return res, nil
}

// traceWriter writes per-sample trace chunks in sample order.
type traceWriter struct {
	mu      sync.Mutex
	w       io.Writer
	next    int
	pending map[int][]byte
	err     error
}

func (t *traceWriter) write(i int, b []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	if i != t.next {
		t.pending[i] = append([]byte(nil), b...)
		return nil
	}
	for {
		if _, err := t.w.Write(b); err != nil {
			t.err = err
			return err
		}
		t.next++
		var ok bool
		if b, ok = t.pending[t.next]; !ok {
			return nil
		}
		delete(t.pending, t.next)
	}
}

// WithTimesteps returns m run for T steps instead of its own T, with the
// same weights: a shallow copy with Timesteps = T (a compiled model keeps
// its quantized network and mapping), or m itself when T is 0 or m's own.
func WithTimesteps(m *ir.Model, T int) *ir.Model {
	if T <= 0 || T == m.Timesteps {
		return m
	}
	cp := *m
	cp.Timesteps = T
	return &cp
}
