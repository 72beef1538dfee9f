package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/agenda"
)

// agendaSessionsSQL finds the sessions that may give a reminder: scheduled
// ones ahead, and recently completed ones. A completed session's end is when
// it ended, or when it was scheduled if the end was not recorded.
const agendaSessionsSQL = `
SELECT id, sequence, status = 'completed' AS completed, scheduled_at, ended_at,
       intention_sealed IS NOT NULL AS has_intention, sitter_name_sealed IS NOT NULL AS has_sitter,
       fasting_confirmed, ride_home_arranged, setting_prepared, music_ready
FROM treatment_sessions
WHERE patient_id = @patient AND (
    (status = 'scheduled' AND scheduled_at > @now AND scheduled_at < @until)
 OR (status = 'completed' AND (ended_at >= @since OR (ended_at IS NULL AND scheduled_at >= @since))))`

// agendaEntriesSQL finds the entries about the recently completed sessions,
// whenever they were written.
const agendaEntriesSQL = `
SELECT session_id, prompt_key, created_at
FROM journal_entries
WHERE patient_id = @patient AND session_id IN (
    SELECT id FROM treatment_sessions
    WHERE patient_id = @patient AND status = 'completed'
      AND (ended_at >= @since OR (ended_at IS NULL AND scheduled_at >= @since)))`

// agendaGoalsSQL lists the active goals.
const agendaGoalsSQL = `
SELECT id, category, created_at, last_check_in_at
FROM goals
WHERE patient_id = @patient AND status = 'active'
ORDER BY created_at, id`

// agendaCourseSQL finds the active plan's first session and, beside it, the
// latest PHQ-9. Each derived table yields at most one row, so the answer is
// one row with an active plan and none without.
const agendaCourseSQL = `
SELECT course.plan_id, course.first_session_at, phq9.taken_at AS last_phq9_at
FROM (
    SELECT p.id AS plan_id, s.scheduled_at AS first_session_at
    FROM treatment_plans p JOIN treatment_sessions s ON s.plan_id = p.id
    WHERE p.patient_id = @patient AND p.status = 'active' AND s.status <> 'cancelled'
    ORDER BY s.scheduled_at, s.id
    LIMIT 1
) course LEFT JOIN (
    SELECT taken_at
    FROM assessments
    WHERE patient_id = @patient AND instrument = 'phq9'
    ORDER BY taken_at DESC, id DESC
    LIMIT 1
) phq9 ON 1 = 1`

// AgendaFacts reads what a patient's agenda needs in four queries, whatever
// the amount of data: only dates, statuses and whether fields are filled
// in, never a sealed column.
func (s *Store) AgendaFacts(ctx context.Context, patientID uuid.UUID, w agenda.Window) (agenda.Facts, error) {
	args := map[string]any{"patient": patientID, "now": w.Now.UTC(), "until": w.SessionsUntil.UTC(), "since": w.CompletedSince.UTC()}
	var f agenda.Facts
	db := s.conn(ctx)
	if err := db.Raw(agendaSessionsSQL, args).Scan(&f.Sessions).Error; err != nil {
		return f, translate(err, "")
	}
	if err := db.Raw(agendaEntriesSQL, args).Scan(&f.Entries).Error; err != nil {
		return f, translate(err, "")
	}
	if err := db.Raw(agendaGoalsSQL, args).Scan(&f.Goals).Error; err != nil {
		return f, translate(err, "")
	}
	var course []agenda.Course
	if err := db.Raw(agendaCourseSQL, args).Scan(&course).Error; err != nil {
		return f, translate(err, "")
	}
	if len(course) > 0 {
		f.Course = &course[0]
	}
	return f, nil
}
