// Package plan is the planning sweep behind snnc plan: one model, every
// target and the settings that matter, and what each choice costs.
//
// A sweep (Run) is the product of four axes:
//
//	targets       chip targets and seed45nm (Settings.Targets)
//	weight bits   where the target's backend has a grid for them
//	timesteps T   the same compiled weights simulated for T steps
//	graded spikes the direct-current input sent as graded spikes, and the
//	              spike counts of several-spike layers, where the target
//	              has them (compile.Options.GradedInput, GradedHidden)
//
// For each point it compiles the float model (compile.Compile, once per
// target and weight precision), then simulates and prices it with
// energy.Evaluate on the compiled network with T = Timesteps and the float
// reference beside it; a point the target cannot take is "n/a: reason"
// (also when the compiler refuses the setting for another reason than a
// limit), a point whose compilation breaks a limit reports the binding
// limits.
//
// Results are cached by content (Cache): a compiled network under the hash
// of the model's bytes, the target's data and the compile settings; a
// point's figures under that and the dataset's identity (name, shape and
// the bytes of the samples used), T, the sample limit, the timing and
// energy models. Every entry is written atomically as it is finished, so
// an interrupted sweep keeps its points, and a rerun with one more setting
// computes only the new points.
//
// The Pareto front is taken over the chip points that fit: maximal
// accuracy (when known), minimal energy per inference and minimal latency;
// a point is on it when no other point is at least as good in all three
// and better in one. An Objective ("min-energy:loss<=0.5") picks the best
// point under constraints.
package plan
