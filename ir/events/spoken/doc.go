// Package spoken makes a spoken-digit dataset in the layout of the Spiking
// Heidelberg Digits (SHD): the digits 0–9 spoken in English ("zero" …
// "nine", labels 0–9) and in German ("null" … "neun", labels 10–19), 20
// classes, each utterance turned into spikes by the cochlea package.
//
// The speech comes from espeak-ng (Debian's espeak-ng package), run as
//
//	espeak-ng -v LANGUAGE+VARIANT -s SPEED -p PITCH -w FILE.wav WORD
//
// with many voices (English dialects × voice variants; German × variants),
// speeds and pitches. Each utterance is then scaled by a random gain,
// delayed by a random silence and mixed with white noise at a random
// signal-to-noise ratio before the front end encodes it. The test split
// holds out voice variants: no test utterance uses a variant the train split
// uses, so the test measures generalisation to new speakers, as SHD's test
// split holds out speakers.
//
// Everything is drawn from one seed: the same seed and counts give the same
// spikes on any machine with the same espeak-ng version (espeak-ng itself is
// deterministic).
//
// Embedded holds a small subset made by this package (see its
// documentation for the command that regenerates it), so that tests and
// defaults need no espeak-ng.
package spoken
