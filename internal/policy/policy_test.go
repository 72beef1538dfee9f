package policy

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
)

// teams is a care-team roster held in memory: the policy's facts, not a
// database.
type teams struct {
	members  map[[2]uuid.UUID]bool
	patients map[uuid.UUID]bool
	err      error
}

func (t teams) IsOnCareTeam(_ context.Context, patientID, clinicianID uuid.UUID) (bool, error) {
	return t.members[[2]uuid.UUID{patientID, clinicianID}], t.err
}

func (t teams) PatientExists(_ context.Context, patientID uuid.UUID) (bool, error) {
	return t.patients[patientID], t.err
}

func TestPatientAccess(t *testing.T) {
	patient, other, onTeam, offTeam, admin := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	facts := teams{
		members:  map[[2]uuid.UUID]bool{{patient, onTeam}: true},
		patients: map[uuid.UUID]bool{patient: true, other: true},
	}
	missing := uuid.New()
	tests := []struct {
		name    string
		caller  Caller
		patient uuid.UUID
		want    Access
	}{
		{"the patient", Caller{patient, Patient}, patient, Access{Read: true, Own: true}},
		{"another patient", Caller{other, Patient}, patient, Access{}},
		{"a clinician on the care team", Caller{onTeam, Clinician}, patient, Access{Read: true, Staff: true, WriteClinical: true, ClinicalNotes: true}},
		{"a clinician not on it", Caller{offTeam, Clinician}, patient, Access{}},
		{"an admin", Caller{admin, Admin}, patient, Access{Read: true, Staff: true}},
		{"an admin, a patient that does not exist", Caller{admin, Admin}, missing, Access{}},
		{"a clinician, a patient that does not exist", Caller{onTeam, Clinician}, missing, Access{}},
		{"an unknown role", Caller{patient, Role("visitor")}, patient, Access{}},
	}
	p := New(facts)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Patient(context.Background(), tt.caller, tt.patient)
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestPatientAccessFailsClosed(t *testing.T) {
	down := errors.New("database down")
	p := New(teams{err: down})
	for _, role := range []Role{Clinician, Admin} {
		got, err := p.Patient(context.Background(), Caller{uuid.New(), role}, uuid.New())
		if !errors.Is(err, down) || got.Read {
			t.Errorf("%s: got %+v, %v; want no access and the error", role, got, err)
		}
	}
}

func TestSeesClinicalNotes(t *testing.T) {
	for role, want := range map[Role]bool{Patient: false, Clinician: true, Admin: false} {
		if got := SeesClinicalNotes(Caller{uuid.New(), role}); got != want {
			t.Errorf("%s: %v, want %v", role, got, want)
		}
	}
}
