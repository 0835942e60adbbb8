// Package energy turns the simulator's operation counts into energy,
// latency and energy-delay reports for hardware planning.
//
// Two kinds of energy model are supported.
//
// The seed's arithmetic model ("seed45nm", ASGL paper appendix A.6, after
// Horowitz 2014 and Han et al. 2015) counts accumulates (AC) of the spiking
// network and multiply-accumulates (MAC) of the same-shape ANN:
//
//	N_AC  = Σ_t Σ_l Σ_i f_i^l · s_i^l[t]       (Eq. 20: every spike times its fan-out = synaptic ops)
//	N_MAC = Σ_l Σ_i f_i^l                       (Eq. 21: every connection once per sample)
//	E_SNN = E_AC·N_AC + E_MAC·MAC_first         E_AC = 0.9 pJ, E_MAC = 4.6 pJ (fp32, 45 nm)
//	E_ANN = E_MAC·N_MAC
//
// where, for a direct-current input, the first weighted layer is costed as
// MAC. snnc computes that constant current W¹·x once per sample (it is the
// same at every step), so MAC_first counts the first layer's connections
// once per inference; the report also gives the T-times figure for
// comparison with implementations that recompute it every step. For a
// dense layer the connections are In·Out; for a convolution
// OutC·OH·OW·InC·KH·KW (padding taps included, as the usual MAC counters
// do); a recurrent dense layer adds Out·Out. Pooling and flatten layers
// have no synapses and are not counted.
//
// Each chip target's model (targets.Target.Energy) prices every counted
// operation:
//
//	E = Σ_op N_op · E_op     op ∈ {synaptic op, neuron update active/idle,
//	                               spike, E-W hop, N-S hop, chip hop, host MAC}
//	    + steps · (barrier + static)
//
// per inference, per layer, per core and per step. Latency per inference
// comes from the simulator's cycle model (sim.Stats.LatencyPerSample);
// throughput is its inverse and the energy-delay product their product.
//
// A planning estimate (Estimate) replaces the simulation by an assumed
// firing rate; reports built from it are marked as estimates.
//
// Every report names its energy model and lists the model's sources.
//
// Evaluate is the whole pipeline behind snnc energy: for each target of a
// Request it compiles the float model in memory, simulates it (or
// estimates its counts) and prices the counts, and returns one Report.
// Request.WeightBits, Timesteps (the same weights run for another T) and
// Reference (agreement with the float model) are the settings the
// planning sweep of package energy/plan varies point by point.
package energy
