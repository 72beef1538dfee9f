package measurement

import "math"

// Outcome compares a follow-up total with the baseline it is measured
// against, as measurement-based care reports it.
type Outcome struct {
	// ChangePoints is the follow-up total less the baseline's: negative is
	// better.
	ChangePoints int
	// ChangePercent is ChangePoints as a percentage of the baseline, to one
	// decimal; nil for a baseline of 0, which has no percentage.
	ChangePercent *float64
	// Response is a drop of at least half the baseline.
	Response bool
	// Remission is a follow-up total under RemissionBelow.
	Remission bool
}

// Compare works out the outcome of a follow-up total against a baseline.
func Compare(baseline, followUp int) Outcome {
	o := Outcome{ChangePoints: followUp - baseline, Remission: followUp < RemissionBelow}
	if baseline > 0 {
		pct := math.Round(1000*float64(o.ChangePoints)/float64(baseline)) / 10
		o.ChangePercent = &pct
	}
	// A drop of at least half, in integers so that 10 -> 5 is exactly 50%.
	o.Response = baseline > 0 && 2*followUp <= baseline
	return o
}
