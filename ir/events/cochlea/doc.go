// Package cochlea is a cochlear front end: it turns sound into spikes on N
// frequency channels, the way the Spiking Heidelberg Digits (SHD) were made
// from recordings, so that spoken words reach a spiking network as events.
//
// # Stages
//
// Input is PCM audio (DecodeWAV reads 16-bit mono WAV files at any rate).
// The filters are designed for the file's own rate, so no resampling is
// needed.
//
//  1. Filterbank. Channel k of N has centre frequency
//
//     f_k = f_lo·(f_hi/f_lo)^(k/(N−1))        k = 0 … N−1 (log-spaced)
//
//     with f_hi at most 0.45 of the sample rate, and bandwidth
//
//     B_k = max(ERB(f_k), f_k·(r − 1)),  ERB(f) = 24.7·(4.37·f/1000 + 1) Hz
//
//     where r = (f_hi/f_lo)^(1/(N−1)) is the spacing ratio: the auditory
//     bandwidth when channels are dense (700, as SHD), wide enough to tile
//     the spectrum when they are few (16, as Xylo Audio). The filter is two
//     identical second-order band-pass sections in cascade (RBJ's biquad,
//     0 dB peak gain, Q = f_k/B_k), so its gain is 1 at f_k.
//
//  2. Half-wave rectification and log compression:
//
//     c[n] = ln(1 + max(0, y[n])/a_ref)         a_ref = Params.Reference
//
//     a compressive, monotonic loudness scale (each factor of 10 in amplitude
//     adds about ln 10 above a_ref).
//
//  3. A leaky integrate-and-fire neuron per channel, in the sample domain
//     (Δ = 1/rate):
//
//     v[n] = v[n−1]·e^(−Δ/τ) + Gain·Δ·c[n]
//     spike when v[n] ≥ 1 and the last spike is at least Refractory ago;
//     then v[n] ← v[n] − 1.
//
//     A channel fires only when Gain·τ·c̄ > 1, so silence and faint noise
//     make no spikes and louder sound makes more. The initial potentials
//     v[0] are drawn uniformly in [0, 1) from the seed, so encodings are
//     deterministic for a seed.
//
// The output is an events.SpikeSet: spike times in seconds and the channel
// (unit) of each, sorted by time — the per-sample layout of SHD's
// spikes/times and spikes/units.
package cochlea
