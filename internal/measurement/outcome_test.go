package measurement

import "testing"

func TestCompare(t *testing.T) {
	pct := func(v float64) *float64 { return &v }
	tests := []struct {
		baseline, followUp int
		want               Outcome
	}{
		{19, 4, Outcome{ChangePoints: -15, ChangePercent: pct(-78.9), Response: true, Remission: true}},
		{10, 5, Outcome{ChangePoints: -5, ChangePercent: pct(-50), Response: true}},
		{11, 6, Outcome{ChangePoints: -5, ChangePercent: pct(-45.5)}},
		{18, 10, Outcome{ChangePoints: -8, ChangePercent: pct(-44.4)}},
		{6, 9, Outcome{ChangePoints: 3, ChangePercent: pct(50)}},
		{0, 0, Outcome{Remission: true}},
		{3, 4, Outcome{ChangePoints: 1, ChangePercent: pct(33.3), Remission: true}},
	}
	for _, tt := range tests {
		got := Compare(tt.baseline, tt.followUp)
		same := got.ChangePoints == tt.want.ChangePoints && got.Response == tt.want.Response && got.Remission == tt.want.Remission &&
			(got.ChangePercent == nil) == (tt.want.ChangePercent == nil) &&
			(got.ChangePercent == nil || *got.ChangePercent == *tt.want.ChangePercent)
		if !same {
			t.Errorf("Compare(%d, %d) = %+v (%v), want %+v (%v)", tt.baseline, tt.followUp, got, deref(got.ChangePercent), tt.want, deref(tt.want.ChangePercent))
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
