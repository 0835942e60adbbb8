package sim

// crossbarFan returns, for a dense layer with synapses on chip of a family
// that counts set synapses (targets.Capabilities.SetSynapseOps: TrueNorth),
// fan[b][i]: the set crossbar bits (non-zero weights) from input i to the
// neurons of local core b. TrueNorth's energy is per synaptic event, a spike
// meeting a set synapse (Merolla 2014: 26 pJ per synaptic event), so a
// spike arriving at a core counts the synapses it meets there, not every
// neuron of the core. nil for other families.
func (p *chipProgram) crossbarFan(L *chipLayer) [][]int32 {
	if !p.target.Backend().Capabilities().SetSynapseOps || L.wT == nil {
		return nil
	}
	fan := make([][]int32, len(L.cores))
	for bi, ci := range L.cores {
		c := &p.cores[ci]
		f := make([]int32, L.in)
		for i := range f {
			n := int32(0)
			for _, w := range L.wT[i*L.out+c.start : i*L.out+c.end] {
				if w != 0 {
					n++
				}
			}
			f[i] = n
		}
		fan[bi] = f
	}
	return fan
}
