// Package measurement holds the standardised questionnaires of
// measurement-based care, the PHQ-9 and the GAD-7, and scores them. It is
// pure domain logic: the store keeps what it computes and the handlers show
// it.
package measurement

import (
	"fmt"
	"strconv"
	"strings"
)

// Instrument keys, as the API and the database name them.
const (
	PHQ9 = "phq9"
	GAD7 = "gad7"
)

// Severity bands.
const (
	Minimal          = "minimal"
	Mild             = "mild"
	Moderate         = "moderate"
	ModeratelySevere = "moderately_severe"
	Severe           = "severe"
)

// MaxAnswer is the highest answer of every item: "Nearly every day".
const MaxAnswer = 3

// RemissionBelow is the total under which both instruments count as in
// remission.
const RemissionBelow = 5

// Option is one answer choice; every item of both instruments offers the
// same four.
type Option struct {
	Value int
	Label string
}

// Options are the answer choices of both instruments, in value order.
var Options = []Option{
	{0, "Not at all"},
	{1, "Several days"},
	{2, "More than half the days"},
	{3, "Nearly every day"},
}

// Band is the severity of totals from Min to Max, both included.
type Band struct {
	Severity string
	Min, Max int
}

// Instrument is a questionnaire: its items in order and the bands of its
// total.
type Instrument struct {
	Key      string
	Name     string
	Question string
	Items    []string
	Bands    []Band
	// SafetyItem is the 1-based item whose answer above 0 needs a
	// clinician's follow-up; 0 when the instrument has none.
	SafetyItem int
	// SafetyReason names that item on the alerts it raises.
	SafetyReason string
}

// Attribution is the authors' notice that goes with both instruments.
const Attribution = "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, " +
	"with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute."

// Instruments lists the questionnaires in the order the catalog shows them.
var Instruments = []Instrument{
	{
		Key:      PHQ9,
		Name:     "Patient Health Questionnaire-9 (PHQ-9)",
		Question: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
		Items: []string{
			"Little interest or pleasure in doing things",
			"Feeling down, depressed, or hopeless",
			"Trouble falling or staying asleep, or sleeping too much",
			"Feeling tired or having little energy",
			"Poor appetite or overeating",
			"Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
			"Trouble concentrating on things, such as reading the newspaper or watching television",
			"Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
			"Thoughts that you would be better off dead or of hurting yourself in some way",
		},
		Bands: []Band{
			{Minimal, 0, 4},
			{Mild, 5, 9},
			{Moderate, 10, 14},
			{ModeratelySevere, 15, 19},
			{Severe, 20, 27},
		},
		SafetyItem:   9,
		SafetyReason: "phq9_item9",
	},
	{
		Key:      GAD7,
		Name:     "Generalized Anxiety Disorder 7-item scale (GAD-7)",
		Question: "Over the last 2 weeks, how often have you been bothered by the following problems?",
		Items: []string{
			"Feeling nervous, anxious, or on edge",
			"Not being able to stop or control worrying",
			"Worrying too much about different things",
			"Trouble relaxing",
			"Being so restless that it is hard to sit still",
			"Becoming easily annoyed or irritable",
			"Feeling afraid, as if something awful might happen",
		},
		Bands: []Band{
			{Minimal, 0, 4},
			{Mild, 5, 9},
			{Moderate, 10, 14},
			{Severe, 15, 21},
		},
	},
}

// Lookup returns the instrument with the key.
func Lookup(key string) (Instrument, bool) {
	for _, in := range Instruments {
		if in.Key == key {
			return in, true
		}
	}
	return Instrument{}, false
}

// MaxTotal is the highest total the instrument can score.
func (in Instrument) MaxTotal() int { return len(in.Items) * MaxAnswer }

// Severity is the band of a total. Totals outside the instrument's range
// cannot come from valid answers; they report the nearest band.
func (in Instrument) Severity(total int) string {
	for _, b := range in.Bands {
		if total <= b.Max {
			return b.Severity
		}
	}
	return in.Bands[len(in.Bands)-1].Severity
}

// AnswerError says which answer is wrong and why. Field is "answers" for
// the list as a whole, or "answers.N" (0-based, as in the JSON array) for
// one answer.
type AnswerError struct {
	Field  string
	Reason string
}

func (e *AnswerError) Error() string { return e.Field + ": " + e.Reason }

// Score is what the server computes from a set of answers.
type Score struct {
	Total    int
	Severity string
	// SafetyScore is the answer to the safety item when it is above 0:
	// the patient needs a clinician's follow-up. 0 otherwise.
	SafetyScore int
}

// Score checks the answers against the instrument and scores them: one
// answer per item, each from 0 to MaxAnswer.
func (in Instrument) Score(answers []int) (Score, error) {
	if len(answers) != len(in.Items) {
		return Score{}, &AnswerError{"answers", fmt.Sprintf("%s has %d items: send exactly %d answers, not %d", in.Key, len(in.Items), len(in.Items), len(answers))}
	}
	var s Score
	for i, a := range answers {
		if a < 0 || a > MaxAnswer {
			return Score{}, &AnswerError{fmt.Sprintf("answers.%d", i), fmt.Sprintf("must be from 0 to %d", MaxAnswer)}
		}
		s.Total += a
	}
	s.Severity = in.Severity(s.Total)
	if in.SafetyItem > 0 {
		s.SafetyScore = answers[in.SafetyItem-1]
	}
	return s, nil
}

// EncodeAnswers is the stored form of answers: digits joined by commas.
func EncodeAnswers(answers []int) string {
	parts := make([]string, len(answers))
	for i, a := range answers {
		parts[i] = strconv.Itoa(a)
	}
	return strings.Join(parts, ",")
}

// DecodeAnswers reads answers stored by EncodeAnswers.
func DecodeAnswers(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("stored answers %q: %w", s, err)
		}
		out[i] = n
	}
	return out, nil
}
