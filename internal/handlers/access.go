package handlers

import (
	"context"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
)

// errNoPatient is the answer for a patient the caller may not see: the same
// as for one that does not exist, so ids reveal nothing.
var errNoPatient = apperr.New(apperr.NotFound, "The patient does not exist.")

// patientReader returns the caller when they may read the patient's
// records: the patient themself, a clinician on their care team, or an
// admin. Anyone else, and a patient that does not exist, get NotFound.
func (s *Server) patientReader(ctx context.Context, patientID uuid.UUID) (auth.Identity, error) {
	id, err := caller(ctx)
	if err != nil {
		return id, err
	}
	switch id.Role {
	case models.RolePatient:
		if id.UserID == patientID {
			return id, nil
		}
	case models.RoleClinician:
		ok, err := s.Store.IsOnCareTeam(ctx, patientID, id.UserID)
		if err != nil {
			return id, err
		}
		if ok {
			noteAccess(ctx, patientID)
			return id, nil
		}
	case models.RoleAdmin:
		if _, err := s.Store.PatientByID(ctx, patientID); err != nil {
			return id, err
		}
		noteAccess(ctx, patientID)
		return id, nil
	}
	return id, errNoPatient
}

// requireSelf lets only the patient themself change their records. Those
// who may read them get Forbidden naming what is theirs to do; anyone else
// NotFound.
func (s *Server) requireSelf(ctx context.Context, patientID uuid.UUID, action string) (auth.Identity, error) {
	id, err := s.patientReader(ctx, patientID)
	if err != nil {
		return id, err
	}
	if id.UserID != patientID {
		return id, apperr.New(apperr.Forbidden, "Only the patient may %s.", action)
	}
	return id, nil
}
