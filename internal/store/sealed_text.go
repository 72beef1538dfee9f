package store

import (
	"github.com/google/uuid"

	"github.com/ketacare/api/internal/models"
)

// Free text a person writes about a patient's care, in the clinical records
// and the patient's profile, is sealed at rest like the journal: the
// emergency contact, a session's sitter, intention and notes, an
// evaluation's notes and the note acknowledging a safety alert. Each row
// keeps the id of the key that sealed it in key_id (NULL while it has never
// been written with sealed text); each value is bound to its table, column
// and row. Structured values (scores, doses, dates, statuses, ids) stay in
// the clear, to be queried.

// sealedText is one sealed text field of a row: the column its words
// belonged to in the clear (the sealed value lives in column_sealed and is
// bound to column), the field holding them in the clear and the field
// holding them sealed.
type sealedText struct {
	column string
	clear  **string
	sealed *models.Sealed
}

// Table names of the records with sealed text.
const (
	usersTable       = "users"
	sessionsTable    = "treatment_sessions"
	evaluationsTable = "candidacy_evaluations"
	alertsTable      = "safety_alerts"
)

func userText(u *models.User) []sealedText {
	return []sealedText{
		{"emergency_contact_name", &u.EmergencyContactName, &u.EmergencyContactNameSealed},
		{"emergency_contact_phone", &u.EmergencyContactPhone, &u.EmergencyContactPhoneSealed},
		{"emergency_contact_relationship", &u.EmergencyContactRelationship, &u.EmergencyContactRelationshipSealed},
	}
}

func sessionText(ts *models.TreatmentSession) []sealedText {
	return []sealedText{
		{"sitter_name", &ts.SitterName, &ts.SitterNameSealed},
		{"sitter_relationship", &ts.SitterRelationship, &ts.SitterRelationshipSealed},
		{"sitter_phone", &ts.SitterPhone, &ts.SitterPhoneSealed},
		{"intention", &ts.Intention, &ts.IntentionSealed},
		{"preparation_notes", &ts.PreparationNotes, &ts.PreparationNotesSealed},
		{"journey_notes", &ts.JourneyNotes, &ts.JourneyNotesSealed},
		{"therapist_notes", &ts.TherapistNotes, &ts.TherapistNotesSealed},
	}
}

func evaluationText(e *models.CandidacyEvaluation) []sealedText {
	return []sealedText{{"clinician_notes", &e.ClinicianNotes, &e.ClinicianNotesSealed}}
}

func alertText(a *models.SafetyAlert) []sealedText {
	return []sealedText{{"acknowledgement_note", &a.AcknowledgementNote, &a.AcknowledgementNoteSealed}}
}

// sealedTables lists, per table, the columns whose text is sealed: what
// the data migration seals in rows written before it.
var sealedTables = []struct {
	table   string
	columns []string
}{
	{usersTable, columnsOf(userText(&models.User{}))},
	{sessionsTable, columnsOf(sessionText(&models.TreatmentSession{}))},
	{evaluationsTable, columnsOf(evaluationText(&models.CandidacyEvaluation{}))},
	{alertsTable, columnsOf(alertText(&models.SafetyAlert{}))},
}

func columnsOf(fields []sealedText) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.column
	}
	return out
}

// sealFields seals the row's clear fields under the current key into their
// sealed fields and names the key in keyID; nil stays nil (NULL).
func (s *Store) sealFields(table string, id uuid.UUID, keyID **string, fields []sealedText) error {
	c := s.sealer(table, id)
	for _, f := range fields {
		*f.sealed = c.sealText(f.column, *f.clear)
	}
	if c.err != nil {
		return c.err
	}
	*keyID = &c.keyID
	return nil
}

// openFields opens the row's sealed fields into their clear fields. A row
// with sealed text and no key id fails like a retired key: it never reads
// as empty.
func (s *Store) openFields(table string, id uuid.UUID, keyID *string, fields []sealedText) error {
	c := s.opener(table, id, deref(keyID))
	for _, f := range fields {
		*f.clear = c.openText(f.column, *f.sealed)
	}
	return c.err
}

func (s *Store) sealUser(u *models.User) error {
	return s.sealFields(usersTable, u.ID, &u.KeyID, userText(u))
}

func (s *Store) openUser(u *models.User) error {
	return s.openFields(usersTable, u.ID, u.KeyID, userText(u))
}

func (s *Store) sealSession(ts *models.TreatmentSession) error {
	return s.sealFields(sessionsTable, ts.ID, &ts.KeyID, sessionText(ts))
}

func (s *Store) openSession(ts *models.TreatmentSession) error {
	return s.openFields(sessionsTable, ts.ID, ts.KeyID, sessionText(ts))
}

func (s *Store) sealEvaluation(e *models.CandidacyEvaluation) error {
	return s.sealFields(evaluationsTable, e.ID, &e.KeyID, evaluationText(e))
}

func (s *Store) openEvaluation(e *models.CandidacyEvaluation) error {
	return s.openFields(evaluationsTable, e.ID, e.KeyID, evaluationText(e))
}

func (s *Store) sealAlert(a *models.SafetyAlert) error {
	return s.sealFields(alertsTable, a.ID, &a.KeyID, alertText(a))
}

func (s *Store) openAlert(a *models.SafetyAlert) error {
	return s.openFields(alertsTable, a.ID, a.KeyID, alertText(a))
}

// openEach opens every row of a page in place.
func openEach[M any](rows []M, open func(*M) error) error {
	for i := range rows {
		if err := open(&rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// openedBy adapts an in-place open to loadByID's and openAll's shape.
func openedBy[M any](open func(*M) error) func(M) (M, error) {
	return func(m M) (M, error) {
		err := open(&m)
		return m, err
	}
}

// openPage opens every row of a page a list query returned.
func openPage[M any](rows []M, next *string, err error, open func(*M) error) ([]M, *string, error) {
	if err != nil {
		return nil, nil, err
	}
	if err := openEach(rows, open); err != nil {
		return nil, nil, err
	}
	return rows, next, nil
}
