package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ProgressSeriesLength is how many of the most recent scores of each
// instrument a progress summary charts.
const ProgressSeriesLength = 100

// JournalDays is how many days back, today included, the journaling count
// of a progress summary covers.
const JournalDays = 14

// ProgressWindow says which spans a progress summary covers.
type ProgressWindow struct {
	// Now is the end of every span.
	Now time.Time
	// MoodWeek and MoodMonth start the 7- and 30-day mood averages.
	MoodWeek, MoodMonth time.Time
	// DayStarts are the instants the patient's last JournalDays calendar
	// days begin, oldest first, and then the start of tomorrow: midnights in
	// the patient's time zone, which the caller works out so that days
	// shortened or lengthened by daylight saving stay exact.
	DayStarts [JournalDays + 1]time.Time
}

// MoodAverage is the mean of a span's check-ins; nil without any.
type MoodAverage struct {
	CheckIns int
	Mood     *float64
	Anxiety  *float64 // over the check-ins that rated anxiety
}

// ProgressFigures are the counts and averages of a patient's progress.
type ProgressFigures struct {
	SessionsCompleted int
	SessionsPlanned   int
	MoodWeek          MoodAverage
	MoodMonth         MoodAverage
	JournalingDays    int
	GoalsActive       int
	GoalsAchieved     int
}

// progressRow is the one row the progress query answers.
type progressRow struct {
	SessionsCompleted int
	SessionsPlanned   int
	MoodWeekN         int
	MoodWeekMood      *float64
	MoodWeekAnxiety   *float64
	MoodMonthN        int
	MoodMonthMood     *float64
	MoodMonthAnxiety  *float64
	JournalingDays    int
	GoalsActive       int
	GoalsAchieved     int
}

// progressSQL aggregates everything but the scores in one statement. Each
// derived table is an aggregate without GROUP BY, so each yields exactly one
// row and the cross join yields one row whatever the amount of data.
//
// Every session counts as planned unless it was cancelled (cancelling a
// plan cancels the sessions it had not held): completed, scheduled, in
// progress and missed ones.
//
// A journaling day is a day whose bounds some journal entry falls between:
// plain comparisons, so both databases agree without time zone support in
// SQL. Each day is one EXISTS probe of the (patient_id, created_at) index,
// so the cost is the same for a patient who writes once a week and one who
// writes a hundred entries a day. Every entry counts, private or shared;
// only the day leaves the journal.
var progressSQL = `
SELECT ses.completed AS sessions_completed, ses.planned AS sessions_planned,
       mood.week_n AS mood_week_n, mood.week_mood AS mood_week_mood, mood.week_anxiety AS mood_week_anxiety,
       mood.month_n AS mood_month_n, mood.month_mood AS mood_month_mood, mood.month_anxiety AS mood_month_anxiety,
       journal.days AS journaling_days, goals.active AS goals_active, goals.achieved AS goals_achieved
FROM (
    SELECT COALESCE(SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), 0) AS completed,
           COALESCE(SUM(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END), 0) AS planned
    FROM treatment_sessions
    WHERE patient_id = @patient
) ses CROSS JOIN (
    SELECT COALESCE(SUM(CASE WHEN taken_at >= @week THEN 1 ELSE 0 END), 0) AS week_n,
           CAST(AVG(CASE WHEN taken_at >= @week THEN mood END) AS double precision) AS week_mood,
           CAST(AVG(CASE WHEN taken_at >= @week THEN anxiety END) AS double precision) AS week_anxiety,
           COUNT(*) AS month_n,
           CAST(AVG(mood) AS double precision) AS month_mood,
           CAST(AVG(anxiety) AS double precision) AS month_anxiety
    FROM mood_check_ins
    WHERE patient_id = @patient AND taken_at >= @month AND taken_at <= @now
) mood CROSS JOIN (
    SELECT ` + journalDayProbes() + ` AS days
) journal CROSS JOIN (
    SELECT COALESCE(SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0) AS active,
           COALESCE(SUM(CASE WHEN status = 'achieved' THEN 1 ELSE 0 END), 0) AS achieved
    FROM goals
    WHERE patient_id = @patient
) goals`

// journalDayProbes adds up, for each day, whether the patient wrote in it:
// "CASE WHEN EXISTS (... created_at >= @day0 AND created_at < @day1) THEN 1
// ELSE 0 END + ...".
func journalDayProbes() string {
	probes := make([]string, JournalDays)
	for i := range probes {
		probes[i] = fmt.Sprintf("CASE WHEN EXISTS (SELECT 1 FROM journal_entries WHERE patient_id = @patient"+
			" AND created_at >= @day%d AND created_at < @day%d) THEN 1 ELSE 0 END", i, i+1)
	}
	return strings.Join(probes, "\n         + ")
}

// ProgressFigures aggregates a patient's sessions, mood check-ins, journal
// and goals in one query.
func (m *Store) ProgressFigures(ctx context.Context, patientID uuid.UUID, w ProgressWindow) (ProgressFigures, error) {
	args := map[string]any{"patient": patientID, "now": w.Now.UTC(), "week": w.MoodWeek.UTC(), "month": w.MoodMonth.UTC()}
	for i, t := range w.DayStarts {
		args["day"+strconv.Itoa(i)] = t.UTC()
	}
	var r progressRow
	if err := m.conn(ctx).Raw(progressSQL, args).Scan(&r).Error; err != nil {
		return ProgressFigures{}, translate(err, "")
	}
	return ProgressFigures{
		SessionsCompleted: r.SessionsCompleted,
		SessionsPlanned:   r.SessionsPlanned,
		MoodWeek:          MoodAverage{CheckIns: r.MoodWeekN, Mood: r.MoodWeekMood, Anxiety: r.MoodWeekAnxiety},
		MoodMonth:         MoodAverage{CheckIns: r.MoodMonthN, Mood: r.MoodMonthMood, Anxiety: r.MoodMonthAnxiety},
		JournalingDays:    r.JournalingDays,
		GoalsActive:       r.GoalsActive,
		GoalsAchieved:     r.GoalsAchieved,
	}, nil
}

// ScoreRow is one assessment score of a progress summary.
type ScoreRow struct {
	ID         uuid.UUID
	Instrument string
	Total      int
	TakenAt    time.Time
	// Count is how many assessments of the instrument the patient has.
	Count int
	// Baseline marks the first assessment of the instrument ever taken.
	Baseline bool
	// InSeries marks the ProgressSeriesLength most recent ones.
	InSeries bool
}

// scoresSQL ranks each instrument's scores both ways in one pass, so the
// baseline and the recent series come back together however many there are.
const scoresSQL = `
SELECT id, instrument, total, taken_at, n AS count, first_rank = 1 AS baseline, last_rank <= @series AS in_series
FROM (
    SELECT id, instrument, total, taken_at,
           COUNT(*) OVER (PARTITION BY instrument) AS n,
           ROW_NUMBER() OVER (PARTITION BY instrument ORDER BY taken_at, id) AS first_rank,
           ROW_NUMBER() OVER (PARTITION BY instrument ORDER BY taken_at DESC, id DESC) AS last_rank
    FROM assessments
    WHERE patient_id = @patient
) ranked
WHERE first_rank = 1 OR last_rank <= @series
ORDER BY instrument, taken_at, id`

// ProgressScores returns, for each instrument, its baseline and its most
// recent scores, oldest first.
func (m *Store) ProgressScores(ctx context.Context, patientID uuid.UUID) ([]ScoreRow, error) {
	var rows []ScoreRow
	err := m.conn(ctx).Raw(scoresSQL, map[string]any{"patient": patientID, "series": ProgressSeriesLength}).Scan(&rows).Error
	return rows, translate(err, "")
}
