//go:build amd64 && !purego

package train

import "golang.org/x/sys/cpu"

var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// axpyAVX2 computes y += a·x with len(y) == len(x) ≥ 1.
//
//go:noescape
func axpyAVX2(a float32, x, y []float32)

// dotAVX2 returns Σ x[i]·y[i] with len(y) == len(x) ≥ 1.
//
//go:noescape
func dotAVX2(x, y []float32) float32
