package compile

import (
	"testing"

	"github.com/snnc/snnc/targets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMNISTConvPacking: on Loihi and Loihi 2 the MNIST conv net packs
// conv2 into 6 cores (column-interleaved classes of rows 5 apart, the
// last 4 channels position-major: 22 → 17 cores in all on Loihi) and
// conv1, fed by the host's current, into as few cores as its output
// routes to those 6 allow: in its route-balanced order every core but
// the last runs within one neuron's routes of the limit, so conv1 takes
// exactly ⌈its routes / routes per core⌉ (or its compartments' bound if
// that is larger), which on Loihi in position-major order it does not
// (11 cores for 10; Loihi 2's cores take more neurons and routes, and
// position-major meets the bound there too). conv1's order keeps each position's 16 channels together (the
// simulator's kernel vectors). Compiled with the verify pass (Check).
func TestMNISTConvPacking(t *testing.T) {
	for _, name := range []string{"loihi", "loihi2"} {
		t.Run(name, func(t *testing.T) {
			tg, err := targets.Lookup(name)
			require.NoError(t, err)
			res, err := Compile(mnistConvNet(1), tg, Options{PlaceIters: -1})
			require.NoError(t, err)
			rep := res.Report
			for _, l := range rep.Layers {
				t.Logf("%-6s %3d cores (bound %2d) %s", l.Name, l.Cores, l.LowerBound, l.MapOrder)
			}
			require.Len(t, rep.Layers, 3)
			conv1, conv2 := rep.Layers[0], rep.Layers[1]
			assert.LessOrEqual(t, conv2.Cores, 6, "conv2")
			assert.LessOrEqual(t, rep.Cores, 17, "cores in all")
			if name == "loihi" { // on Loihi 2 position-major meets the bound too
				assert.Equal(t, "route-balanced", conv1.MapOrder)
			}
			assert.Equal(t, 16, conv2.AxonKind, "conv2 fed by pop16 axons: 1 output slot per route")

			var routes int64
			for _, c := range res.Model.Mapping.Cores {
				if c.Layer == 0 {
					routes += int64(c.OutputRoutes)
				}
			}
			want := max(ceilDiv(9216, int64(tg.Core.Neurons)), ceilDiv(routes, int64(tg.Core.OutputRoutes)))
			assert.Equal(t, int(want), conv1.Cores, "conv1: %d routes", routes)

			order := res.Model.Layers[0].MapOrder
			if name != "loihi" && len(order) == 0 {
				return
			}
			require.Len(t, order, 9216)
			for u := 0; u < 576; u++ { // 24×24 positions of 16 channels
				p := int(order[16*u]) % 576
				for c := range 16 {
					require.Equal(t, int32(c*576+p), order[16*u+c], "unit %d", u)
				}
			}
		})
	}
}
