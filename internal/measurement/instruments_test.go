package measurement_test

import (
	"slices"
	"testing"

	"github.com/ketacare/api/internal/measurement"
)

// TestBandsCoverEveryTotal checks that each instrument's bands run from 0 to
// its highest total without gaps or overlaps, so every total has exactly
// one severity.
func TestBandsCoverEveryTotal(t *testing.T) {
	for _, in := range measurement.Instruments {
		next := 0
		for _, b := range in.Bands {
			if b.Min != next || b.Max < b.Min {
				t.Fatalf("%s: band %+v does not follow %d", in.Key, b, next-1)
			}
			next = b.Max + 1
		}
		if next-1 != in.MaxTotal() {
			t.Fatalf("%s: bands end at %d, totals at %d", in.Key, next-1, in.MaxTotal())
		}
	}
}

func TestAnswersRoundTrip(t *testing.T) {
	for _, answers := range [][]int{{0, 1, 2, 3, 0, 1, 2, 3, 3}, {3, 3, 3, 3, 3, 3, 3}} {
		got, err := measurement.DecodeAnswers(measurement.EncodeAnswers(answers))
		if err != nil || !slices.Equal(got, answers) {
			t.Fatalf("%v came back as %v (%v)", answers, got, err)
		}
	}
	if _, err := measurement.DecodeAnswers("1,x,2"); err == nil {
		t.Fatal("a corrupt row must not decode")
	}
}
