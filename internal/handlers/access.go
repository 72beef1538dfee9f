package handlers

import (
	"context"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/policy"
	"github.com/ketacare/api/internal/reqctx"
)

// ErrNoPatient is the answer for a patient the caller may not see: the same
// as for one that does not exist, so ids reveal nothing.
var ErrNoPatient = apperr.New(apperr.NotFound, "The patient does not exist.")

// patientReader returns the caller when they may read the patient's
// records: the patient themself, a clinician on their care team, or an
// admin (the policy decides). Anyone else, and a patient that does not
// exist, get NotFound. Staff reads are noted for the audit trail.
func (s *Server) patientReader(ctx context.Context, patientID uuid.UUID) (auth.Identity, error) {
	id, _, err := s.patientAccess(ctx, patientID)
	return id, err
}

// patientAccess is patientReader that also says what else the caller may
// do with the patient's records.
func (s *Server) patientAccess(ctx context.Context, patientID uuid.UUID) (auth.Identity, policy.Access, error) {
	id, err := caller(ctx)
	if err != nil {
		return id, policy.Access{}, err
	}
	a, err := s.policy.Patient(ctx, callerOf(id), patientID)
	if err != nil {
		return id, a, err
	}
	if !a.Read {
		return id, a, ErrNoPatient
	}
	if a.Staff {
		reqctx.NoteAccess(ctx, patientID)
	}
	return id, a, nil
}

// callerOf is the policy's view of the token's identity.
func callerOf(id auth.Identity) policy.Caller {
	return policy.Caller{UserID: id.UserID, Role: policy.Role(id.Role)}
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
