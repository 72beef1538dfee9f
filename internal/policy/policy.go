// Package policy decides who may do what with a patient's records. Every
// rule of access lives here, fed by the caller's identity (from the access
// token) and the care-team facts the store reads; handlers ask it and turn
// its answers into HTTP. Later rules (what each profession may do) join the
// same place.
package policy

import (
	"context"

	"github.com/google/uuid"
)

// Role is what an account is: a patient, a clinician or an admin.
type Role string

// The roles, as access tokens carry them.
const (
	Patient   Role = "patient"
	Clinician Role = "clinician"
	Admin     Role = "admin"
)

// Caller is who makes a request, as the access token states it.
type Caller struct {
	UserID uuid.UUID
	Role   Role
}

// CareTeams are the facts the policy needs from the store.
type CareTeams interface {
	// IsOnCareTeam reports whether the clinician is on the patient's care
	// team.
	IsOnCareTeam(ctx context.Context, patientID, clinicianID uuid.UUID) (bool, error)
	// PatientExists reports whether there is a patient with the id.
	PatientExists(ctx context.Context, patientID uuid.UUID) (bool, error)
}

// Access is what a caller may do with one patient's records.
type Access struct {
	// Read: the patient themself, a clinician on their care team, or an
	// admin. Whoever may not read a patient must be told it does not exist.
	Read bool
	// Own: the caller is the patient.
	Own bool
	// Staff: the caller reads as a clinician or an admin, which the audit
	// trail records and the patient's access log shows.
	Staff bool
	// WriteClinical: the caller writes clinical records (evaluations,
	// plans, sessions, vitals). Only the care team does; admins manage
	// accounts, not care.
	WriteClinical bool
	// ClinicalNotes: the caller sees the care team's clinical notes. Not
	// the patient, and not admins, who have no need for therapy notes.
	ClinicalNotes bool
}

// Policy answers access questions.
type Policy struct {
	teams CareTeams
}

// New returns the policy reading care teams from teams.
func New(teams CareTeams) *Policy { return &Policy{teams: teams} }

// Patient is what the caller may do with the patient's records. Its error
// is only ever a failure to read the facts.
func (p *Policy) Patient(ctx context.Context, c Caller, patientID uuid.UUID) (Access, error) {
	switch c.Role {
	case Patient:
		if c.UserID == patientID {
			return Access{Read: true, Own: true}, nil
		}
	case Clinician:
		ok, err := p.teams.IsOnCareTeam(ctx, patientID, c.UserID)
		if err != nil || !ok {
			return Access{}, err
		}
		return Access{Read: true, Staff: true, WriteClinical: true, ClinicalNotes: true}, nil
	case Admin:
		ok, err := p.teams.PatientExists(ctx, patientID)
		if err != nil || !ok {
			return Access{}, err
		}
		return Access{Read: true, Staff: true}, nil
	}
	return Access{}, nil
}

// SeesClinicalNotes reports whether a caller already admitted to a
// patient's records sees the care team's clinical notes: only the care
// team's clinicians do.
func SeesClinicalNotes(c Caller) bool { return c.Role == Clinician }
