package handlers

import (
	"context"
	"time"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/reqctx"
	"github.com/ketacare/api/internal/store"
)

// ListPatients lists a clinician's own patients, or every patient for an admin.
func (s *Server) ListPatients(ctx context.Context, req api.ListPatientsRequestObject) (api.ListPatientsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var f store.PatientFilter
	if id.Role == models.RoleClinician {
		f.ClinicianID = &id.UserID
	}
	if req.Params.Q != nil {
		f.Query = *req.Params.Q
	}
	users, next, err := s.Store.ListPatients(ctx, f, listPage(req.Params.Limit, req.Params.Cursor, req.Params.UpdatedSince))
	if err != nil {
		return nil, err
	}
	items := make([]api.Patient, len(users))
	for i, u := range users {
		items[i] = toPatient(u)
		reqctx.NoteAccess(ctx, u.ID)
	}
	return api.ListPatients200JSONResponse{Body: api.PatientPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// GetPatient returns a patient's profile.
func (s *Server) GetPatient(ctx context.Context, req api.GetPatientRequestObject) (api.GetPatientResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	u, err := s.Store.PatientByID(ctx, req.PatientID)
	if err != nil {
		return nil, err
	}
	tag := ETag(u.ID, u.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetPatient304Response{Headers: api.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return api.GetPatient200JSONResponse{Body: toPatient(u), Headers: api.GetPatient200ResponseHeaders{ETag: &tag}}, nil
}

// UpdatePatient lets a patient edit their own profile.
func (s *Server) UpdatePatient(ctx context.Context, req api.UpdatePatientRequestObject) (api.UpdatePatientResponseObject, error) {
	if _, err := s.requireSelf(ctx, req.PatientID, "edit their profile"); err != nil {
		return nil, err
	}
	b := req.Body
	if b.Timezone != nil {
		if err := checkTimezone("timezone", *b.Timezone); err != nil {
			return nil, err
		}
	}
	ch := store.UserChanges{DisplayName: b.DisplayName, Timezone: b.Timezone}
	if b.DateOfBirth.IsSpecified() {
		ch.DateOfBirth = &store.Change[time.Time]{}
		if !b.DateOfBirth.IsNull() {
			d := b.DateOfBirth.MustGet().Time
			if err := checkBirthDate(d, s.Now()); err != nil {
				return nil, err
			}
			ch.DateOfBirth.Value = &d
		}
	}
	if b.EmergencyContact.IsSpecified() {
		ch.EmergencyContact = &store.Change[store.EmergencyContact]{}
		if !b.EmergencyContact.IsNull() {
			ec := b.EmergencyContact.MustGet()
			ch.EmergencyContact.Value = &store.EmergencyContact{Name: ec.Name, Phone: ec.Phone, Relationship: ec.Relationship}
		}
	}
	u, err := s.Store.UpdateUser(ctx, req.PatientID, ifMatch(req.Params.IfMatch, req.PatientID), ch)
	if err != nil {
		return nil, err
	}
	tag := ETag(u.ID, u.Version)
	return api.UpdatePatient200JSONResponse{Body: toPatient(u), Headers: api.UpdatePatient200ResponseHeaders{ETag: &tag}}, nil
}

// ListCareTeam lists the clinicians on a patient's care team.
func (s *Server) ListCareTeam(ctx context.Context, req api.ListCareTeamRequestObject) (api.ListCareTeamResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	entries, next, err := s.Store.ListCareTeam(ctx, req.PatientID, listPage(req.Params.Limit, req.Params.Cursor, req.Params.UpdatedSince))
	if err != nil {
		return nil, err
	}
	items := make([]api.CareTeamMember, len(entries))
	for i, e := range entries {
		items[i] = toCareTeamMember(e)
	}
	return api.ListCareTeam200JSONResponse{Body: api.CareTeamPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// AssignClinician puts a clinician on a patient's care team (admins, by x-roles).
func (s *Server) AssignClinician(ctx context.Context, req api.AssignClinicianRequestObject) (api.AssignClinicianResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.Store.AssignClinician(ctx, req.PatientID, req.ClinicianID, id.UserID)
	if err != nil {
		return nil, err
	}
	reqctx.NoteAccess(ctx, req.PatientID)
	return api.AssignClinician200JSONResponse{Body: toCareTeamMember(e)}, nil
}

// UnassignClinician takes a clinician off a care team (admins, by x-roles).
func (s *Server) UnassignClinician(ctx context.Context, req api.UnassignClinicianRequestObject) (api.UnassignClinicianResponseObject, error) {
	if err := s.Store.UnassignClinician(ctx, req.PatientID, req.ClinicianID); err != nil {
		return nil, err
	}
	reqctx.NoteAccess(ctx, req.PatientID)
	return api.UnassignClinician204Response{}, nil
}
