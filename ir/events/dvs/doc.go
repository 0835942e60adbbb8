// Package dvs simulates a dynamic vision sensor (DVS) pixel array watching an
// image that moves, and makes saccade MNIST: an event-camera MNIST recorded
// the way N-MNIST was (Orchard et al. 2015), written in the N-MNIST format.
//
// # The scene
//
// A W×H grey image (0 = black, 255 = white) lies on a black field of
// Params.Width × Params.Height pixels with its top-left corner at a position
// that moves along a Path. Pixel (x, y) sees the image bilinearly sampled at
// its centre, (x + ½ − ox(t), y + ½ − oy(t)) in image pixel units, with
// black outside the image. Its photocurrent is
//
//	I = b + (1 − b)·value/255          b = Params.Dark (dark current, > 0)
//
// # The pixel
//
// Each pixel keeps the log intensity at its last event, L_ref (at t = 0 the
// log intensity it sees then: the sensor starts adapted). Every Params.Step
// µs it compares the present L = ln I with L_ref:
//
//	L − L_ref ≥ θ_on(x,y)    → an ON event  (polarity 1), L_ref ← L
//	L_ref − L ≥ θ_off(x,y)   → an OFF event (polarity 0), L_ref ← L
//
// θ_on and θ_off are drawn once per pixel: Params.Threshold + a normal
// mismatch of standard deviation Params.Mismatch (at least Threshold/4).
// The event's timestamp is the crossing time interpolated linearly inside
// the step. After any event the pixel is refractory for Params.Refractory
// µs: no event before last + Refractory (a crossing during that time fires
// at its end if the change is still above threshold then).
//
// Background activity: each pixel also fires noise events as a Poisson
// process of Params.NoiseRate events per second, with a random polarity,
// refractory like the others and leaving L_ref unchanged.
//
// # Saccades
//
// N-MNIST was recorded by moving an ATIS camera in front of a screen in three
// ~100 ms saccades tracing a triangle. Saccades does the same with the image:
// its corner moves (1, 4.5) → (5, 4.5) → (3, 1) → (1, 4.5) in field pixels,
// each leg 100 ms with a smooth (raised-cosine) speed profile, so a 28×28
// digit stays inside the 34×34 field.
//
// Every random draw (mismatch, noise) comes from a generator seeded with the
// seed and the sample's index: the same seed gives the same events, whatever
// the number of workers.
package dvs
