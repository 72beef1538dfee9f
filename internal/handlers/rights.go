package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/reqctx"
	"github.com/ketacare/api/internal/store"
	"github.com/ketacare/api/internal/throttle"
)

// Patient rights: a patient downloads everything of theirs (GET
// /v1/me/export), and erases their own content and closes their account
// (POST /v1/me/erase).

// exportPageSize is how many records of one kind an export reads at a
// time: the most it holds in memory (journal entries are up to 20,000
// characters each).
const exportPageSize = 100

// ExportMyData answers with every record of the signed-in patient (patients
// only, by x-roles). The document is written as it is read, by the response
// itself: see exportDownload.
func (s *Server) ExportMyData(ctx context.Context, _ api.ExportMyDataRequestObject) (api.ExportMyDataResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return exportDownload{s: s, ctx: ctx, id: id}, nil
}

// exportDownload streams a patient's export. It reads inside one read-only
// snapshot, a page at a time, and writes each page before reading the next,
// so memory holds one page, not the whole export, and no write made
// meanwhile shows half-way. The snapshot holds a pooled connection for as
// long as the client takes to read, so exports have a budget of their own
// (see export_budget.go): a few at once, one per account, and a client
// that stops reading is cut off within ExportStallTimeout.
type exportDownload struct {
	s *Server
	// ctx is the request's: the generated Visit method is given only the
	// writer, and the export is read while it is written.
	ctx context.Context
	id  auth.Identity
}

// VisitExportMyDataResponse writes the export. An error before the first
// byte, such as a 429 when the export's budget is spent, is answered as
// usual, with a problem document. Once the 200 is sent a failure can no
// longer change the status, so the connection is cut (http.ErrAbortHandler)
// before the document ends: the client sees a broken transfer, never a
// complete-looking document with records missing. By then the snapshot has
// been rolled back and its connection is back in the pool.
func (d exportDownload) VisitExportMyDataResponse(w http.ResponseWriter) error {
	release, err := d.s.exports.admit(d.id.UserID)
	if err != nil {
		return retryLater(err, d.s.ExportStallTimeout)
	}
	defer release()
	dw := newDeadlineWriter(w, d.s.ExportStallTimeout)
	// Refused before the 200 where the server cannot set deadlines: an
	// export that a stalled client could hold open is what the budget is
	// there to prevent.
	if err := dw.extend(); err != nil {
		return err
	}
	started := false
	err = d.s.Store.ExportSnapshot(d.ctx, d.id.UserID, func(ctx context.Context) error {
		u, err := d.s.Store.UserByID(ctx, d.id.UserID)
		if apperr.Is(err, apperr.NotFound) {
			return store.ErrAccountClosed
		}
		if err != nil {
			return err
		}
		at := d.s.Now()
		h := w.Header()
		h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="ketacare-export-%s.json"`, at.Format("2006-01-02")))
		w.WriteHeader(http.StatusOK)
		started = true
		if err := d.s.writeExport(ctx, &exportWriter{w: dw}, d.id, u, at); err != nil {
			return err
		}
		// What the buffers still hold leaves after the handler returns,
		// under this last deadline.
		return dw.extend()
	})
	if err != nil && started {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			d.s.Log.WarnContext(d.ctx, "export client stopped reading: connection cut", "stall_timeout", d.s.ExportStallTimeout.String())
		} else {
			d.s.Log.ErrorContext(d.ctx, "export failed after it began: connection cut", "error", err.Error())
		}
		panic(http.ErrAbortHandler)
	}
	return retryLater(err, d.s.ExportStallTimeout)
}

// writeExport writes the members of the PatientExport schema in its order:
// each list through the store's own paging, each record converted as the
// operation that reads it converts it for the patient.
func (s *Server) writeExport(ctx context.Context, e *exportWriter, id auth.Identity, u models.User, at time.Time) error {
	pid := u.ID
	e.member("format", api.KetacarePatientExportV1)
	e.member("exported_at", at)
	e.member("patient", toPatient(u))
	exportList(e, "care_team", func(p store.Page) ([]api.CareTeamMember, *string, error) {
		rows, next, err := s.Store.ListCareTeam(ctx, pid, p)
		return convertAll(rows, toCareTeamMember), next, err
	})
	exportList(e, "candidacy_evaluations", func(p store.Page) ([]api.CandidacyEvaluation, *string, error) {
		rows, next, err := s.Store.ListEvaluations(ctx, pid, p)
		out := make([]api.CandidacyEvaluation, len(rows))
		for i, ev := range rows {
			out[i] = toEvaluation(ev, seesClinicalNotes(id))
		}
		return out, next, err
	})
	exportList(e, "treatment_plans", func(p store.Page) ([]api.TreatmentPlan, *string, error) {
		rows, next, err := s.Store.ListPlans(ctx, pid, p)
		return convertAll(rows, toPlan), next, err
	})
	exportList(e, "treatment_sessions", func(p store.Page) ([]api.TreatmentSession, *string, error) {
		rows, next, err := s.Store.ListSessions(ctx, store.SessionFilter{PatientID: pid, PatientView: !seesClinicalNotes(id)}, p)
		if err != nil {
			return nil, nil, err
		}
		out, err := s.sessionsFor(ctx, id, pid, rows)
		return out, next, err
	})
	exportList(e, "vital_signs", func(p store.Page) ([]api.VitalSign, *string, error) {
		rows, next, err := s.Store.ListPatientVitalSigns(ctx, pid, p)
		return convertAll(rows, toVitalSign), next, err
	})
	exportList(e, "journal_entries", func(p store.Page) ([]api.JournalEntry, *string, error) {
		rows, next, err := s.Store.ListJournalEntries(ctx, store.JournalFilter{PatientID: pid}, p)
		return convertAll(rows, toJournalEntry), next, err
	})
	exportList(e, "activities", func(p store.Page) ([]api.Activity, *string, error) {
		rows, next, err := s.Store.ListActivities(ctx, store.ActivityFilter{PatientID: pid}, p)
		return convertAll(rows, toActivity), next, err
	})
	exportList(e, "goals", func(p store.Page) ([]api.Goal, *string, error) {
		rows, next, err := s.Store.ListGoals(ctx, store.GoalFilter{PatientID: pid}, p)
		return convertAll(rows, toGoal), next, err
	})
	exportList(e, "goal_check_ins", func(p store.Page) ([]api.GoalCheckIn, *string, error) {
		rows, next, err := s.Store.ListPatientGoalCheckIns(ctx, pid, p)
		return convertAll(rows, toGoalCheckIn), next, err
	})
	exportList(e, "assessments", func(p store.Page) ([]api.Assessment, *string, error) {
		rows, next, err := s.Store.ListAssessments(ctx, store.TakenFilter{PatientID: pid}, "", p)
		if err != nil {
			return nil, nil, err
		}
		out := make([]api.Assessment, len(rows))
		for i, a := range rows {
			if out[i], err = toAssessment(a); err != nil {
				return nil, nil, err
			}
		}
		return out, next, nil
	})
	exportList(e, "mood_check_ins", func(p store.Page) ([]api.MoodCheckIn, *string, error) {
		rows, next, err := s.Store.ListMoodCheckIns(ctx, store.TakenFilter{PatientID: pid}, p)
		return convertAll(rows, toMoodCheckIn), next, err
	})
	exportList(e, "access_log", func(p store.Page) ([]api.AuditEvent, *string, error) {
		return s.auditPage(ctx, store.AuditFilter{PatientID: &pid}, p)
	})
	return e.close()
}

// exportWriter writes one JSON object member by member. The first error
// sticks: later writes do nothing, and close returns it.
type exportWriter struct {
	w       io.Writer
	members int
	err     error
}

func (e *exportWriter) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

// name starts the next member.
func (e *exportWriter) name(n string) {
	if e.members == 0 {
		e.write([]byte{'{'})
	} else {
		e.write([]byte{','})
	}
	e.members++
	e.write([]byte(`"` + n + `":`))
}

// value writes v as JSON.
func (e *exportWriter) value(v any) {
	if e.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		e.err = err
		return
	}
	e.write(b)
}

// member writes a member with one value.
func (e *exportWriter) member(n string, v any) {
	e.name(n)
	e.value(v)
}

// close ends the object and returns the first error.
func (e *exportWriter) close() error {
	e.write([]byte{'}'})
	return e.err
}

// exportList writes a member holding every record fetch returns, page by
// page, as one array: [] when there are none.
func exportList[T any](e *exportWriter, n string, fetch func(store.Page) ([]T, *string, error)) {
	e.name(n)
	e.write([]byte{'['})
	p := store.Page{Limit: exportPageSize}
	for first := true; e.err == nil; {
		items, next, err := fetch(p)
		if err != nil {
			e.err = err
			return
		}
		for _, item := range items {
			if !first {
				e.write([]byte{','})
			}
			first = false
			e.value(item)
		}
		if next == nil {
			break
		}
		p.Cursor = *next
	}
	e.write([]byte{']'})
}

// Names of the erasure in the audit trail.
const (
	eraseOperation = "eraseMe"
	eraseResource  = "/v1/me/erase"
)

// EraseMe erases the signed-in patient's own content and closes their
// account (patients only, by x-roles), once they have confirmed with their
// password.
func (s *Server) EraseMe(ctx context.Context, req api.EraseMeRequestObject) (api.EraseMeResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, id.UserID)
	if err != nil {
		return nil, err
	}
	if err := s.confirmPassword(ctx, u, req.Body.Password, "password"); err != nil {
		return nil, err
	}
	// The patient's own action, recorded for the clinic's admins: the audit
	// trail holds who and when, never what was erased.
	event := models.AuditEvent{
		ActorID: u.ID, ActorRole: models.RolePatient, PatientID: u.ID, Action: "write",
		Operation: eraseOperation, Resource: eraseResource, ResourceID: ptr(u.ID), RequestID: reqctx.RequestID(ctx),
	}
	if err := s.Store.ErasePatient(ctx, u.ID, event); err != nil {
		return nil, err
	}
	return api.EraseMe204Response{}, nil
}

// confirmPassword checks a password entered again to confirm a grave
// action. A wrong one is a 400 naming field. The attempt is counted before
// the check against the account's key, the one sign-in uses, so a stolen
// access token cannot guess the password faster than the sign-in form
// allows. The caller is known, so the client's address plays no part: a
// patient is never slowed by others sharing their address.
func (s *Server) confirmPassword(ctx context.Context, u models.User, password, field string) error {
	keys := []throttle.Key{s.Throttle.Account(store.NormalizeEmail(u.Email))}
	attempt, err := s.reserveAttempt(ctx, keys, "Too many wrong passwords; wait before trying again.")
	if err != nil {
		return err
	}
	ok, err := s.Hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.Field(field, "is not your current password")
	}
	return s.Store.Succeeded(ctx, attempt)
}
