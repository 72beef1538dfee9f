package store

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ketacare/api/internal/models"
)

// CareTeamEntry is a care team membership with the clinician's name and
// profession.
type CareTeamEntry struct {
	models.CareTeamMember
	DisplayName string
	Profession  string
}

// IsOnCareTeam reports whether the clinician is on the patient's care team.
func (s *Store) IsOnCareTeam(ctx context.Context, patientID, clinicianID uuid.UUID) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&models.CareTeamMember{}).
		Where("patient_id = ? AND clinician_id = ?", patientID, clinicianID).Limit(1).Count(&n).Error
	return n > 0, translate(err, "")
}

// PatientExists reports whether there is a patient with the id.
func (s *Store) PatientExists(ctx context.Context, id uuid.UUID) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&models.User{}).Where("id = ? AND role = ?", id, models.RolePatient).Limit(1).Count(&n).Error
	return n > 0, translate(err, "")
}

// PatientByID returns the patient with the id; other roles are NotFound.
func (s *Store) PatientByID(ctx context.Context, id uuid.UUID) (models.User, error) {
	var u models.User
	if err := s.conn(ctx).Where("id = ? AND role = ?", id, models.RolePatient).Take(&u).Error; err != nil {
		return u, found(err, "patient")
	}
	return u, s.openUser(&u)
}

// AssignClinician puts the clinician on the patient's care team; assigning
// twice keeps the first assignment.
func (s *Store) AssignClinician(ctx context.Context, patientID, clinicianID, by uuid.UUID) (CareTeamEntry, error) {
	if _, err := s.PatientByID(ctx, patientID); err != nil {
		return CareTeamEntry{}, err
	}
	var c models.User
	if err := s.conn(ctx).Where("id = ? AND role = ?", clinicianID, models.RoleClinician).Take(&c).Error; err != nil {
		return CareTeamEntry{}, found(err, "clinician")
	}
	m := models.CareTeamMember{ID: uuid.Must(uuid.NewV7()), PatientID: patientID, ClinicianID: clinicianID, AssignedBy: by}
	err := s.conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "patient_id"}, {Name: "clinician_id"}}, DoNothing: true}).Create(&m).Error
	if err != nil {
		return CareTeamEntry{}, translate(err, "")
	}
	var e CareTeamEntry
	err = s.careTeam(ctx).Where("m.patient_id = ? AND m.clinician_id = ?", patientID, clinicianID).Take(&e).Error
	return e, found(err, "care team member")
}

// UnassignClinician takes the clinician off the patient's care team. It is
// not an error if they were not on it.
func (s *Store) UnassignClinician(ctx context.Context, patientID, clinicianID uuid.UUID) error {
	if _, err := s.PatientByID(ctx, patientID); err != nil {
		return err
	}
	err := s.conn(ctx).Where("patient_id = ? AND clinician_id = ?", patientID, clinicianID).Delete(&models.CareTeamMember{}).Error
	return translate(err, "")
}

// ListCareTeam returns one page of the patient's care team, newest first.
func (s *Store) ListCareTeam(ctx context.Context, patientID uuid.UUID, p Page) ([]CareTeamEntry, *string, error) {
	// A membership never changes, but the clinician's name and profession
	// it shows do, with their account.
	q := p.changedSince(s.careTeam(ctx).Where("m.patient_id = ?", patientID), "m.created_at", "u.updated_at")
	return paginateQ[CareTeamEntry](q, p, "m.")
}

func (s *Store) careTeam(ctx context.Context) *gorm.DB {
	return s.conn(ctx).Table("care_team_members AS m").
		Select("m.*, u.display_name, u.profession").
		Joins("JOIN users u ON u.id = m.clinician_id")
}

// PatientFilter narrows a list of patients.
type PatientFilter struct {
	// ClinicianID, when set, keeps the patients on that clinician's care team.
	ClinicianID *uuid.UUID
	// Query keeps the patients whose display name contains it, ignoring case.
	Query string
}

// ListPatients returns one page of patients, newest first.
func (s *Store) ListPatients(ctx context.Context, f PatientFilter, p Page) ([]models.User, *string, error) {
	q := s.conn(ctx).Where("role = ?", models.RolePatient)
	if f.ClinicianID != nil {
		q = q.Where("id IN (SELECT patient_id FROM care_team_members WHERE clinician_id = ?)", *f.ClinicianID)
	}
	if f.Query != "" {
		q = q.Where("LOWER(display_name) LIKE ? ESCAPE '\\'", "%"+escapeLike(strings.ToLower(f.Query))+"%")
	}
	rows, next, err := paginate[models.User](p.changedSince(q, "updated_at"), p)
	return openPage(rows, next, err, s.openUser)
}

// escapeLike makes s match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
