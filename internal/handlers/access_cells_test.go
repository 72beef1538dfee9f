package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/handlers"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/scheduling"
	"github.com/ketacare/api/internal/store"
)

// caller is one of the six kinds of caller the matrix calls every
// operation as.
type caller int

const (
	// owner is the patient whose records the row reads or writes (the
	// world's first patient). On the operations on one's own account, it
	// is that patient acting on their own.
	owner caller = iota
	// otherPatient is another patient, with records of their own.
	otherPatient
	// careTeam is a clinician on the owner's care team: for the clinical
	// records, whom the spec lets write them.
	careTeam
	// outsider is a clinician not on the owner's care team (on the other
	// patient's).
	outsider
	// admin is the clinic's admin, who manages accounts, not care.
	admin
	// anonymous sends no token.
	anonymous
)

var callers = [...]caller{owner, otherPatient, careTeam, outsider, admin, anonymous}

func (c caller) String() string {
	return [...]string{"owner", "another patient", "care team", "outsider", "admin", "no token"}[c]
}

// want is the documented status of a row's request for each caller, in the
// order of callers.
type want [len(callers)]int

// row is how the matrix calls one operation: the same request, but for
// the state a success needs, for every caller.
type row struct {
	want want
	// query is the query string, with {param} filled from the world.
	query string
	// body makes the request body; nil sends none.
	body func(c *cell) any
	// fresh prepares, only for a caller expected to succeed, what the call
	// will change, so that it never touches the records every other call
	// reads: it sets the cell's params, or its caller.
	fresh func(c *cell)
}

// cell is one call of the matrix: an operation, as one caller.
type cell struct {
	t   *testing.T
	w   *world
	op  specOp
	who caller
	// as is whom the call is made as: the world's user of the kind, or a
	// stand-in of the same role.
	as apitest.User
	// params fill the path's and query's {param}s, and "{param}" values
	// of example bodies.
	params map[string]string
}

// specOp is an operation of the spec.
type specOp struct {
	id, method, path string
	op               *openapi3.Operation
}

// specOps lists every operation of the spec by operationId.
func specOps(doc *openapi3.T) map[string]specOp {
	out := map[string]specOp{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[op.OperationID] = specOp{id: op.OperationID, method: method, path: path, op: op}
		}
	}
	return out
}

// user is the world's caller of the kind.
func (w *world) user(who caller) apitest.User {
	switch who {
	case owner:
		return w.a.patient
	case otherPatient:
		return w.b.patient
	case careTeam:
		return w.a.team
	case outsider:
		return w.b.team
	case admin:
		return w.admin
	}
	return apitest.User{}
}

// params are the owner's records, which every call aims at unless fresh
// gives it its own.
func (w *world) params() map[string]string {
	a := w.a
	return map[string]string{
		"patient_id": a.patient.ID.String(), "user_id": a.patient.ID.String(), "clinician_id": w.spare.ID.String(),
		"plan_id": a.plan.String(), "session_id": a.session.String(), "entry_id": a.sharedEntry.String(),
		"activity_id": a.activity.String(), "goal_id": a.goal.String(), "alert_id": a.alert.String(), "file": "init.js",
	}
}

var (
	paramRef   = regexp.MustCompile(`\{[a-z_]+\}`)
	wholeParam = regexp.MustCompile(`^\{[a-z_]+\}$`)
)

// fill replaces each {param} of s with the cell's value.
func (c *cell) fill(s string) string {
	return paramRef.ReplaceAllStringFunc(s, func(ref string) string {
		v, ok := c.params[ref[1:len(ref)-1]]
		if !ok {
			c.t.Fatalf("%s: the world has no %s", c.op.id, ref)
		}
		return v
	})
}

// call makes the cell's request and checks the answer: the status want, a
// problem document for an error, and nothing the caller may not read.
func (c *cell) call(r row, want int) {
	t := c.t
	if want < 300 && r.fresh != nil {
		r.fresh(c)
	}
	path := c.fill(c.op.path)
	if r.query != "" {
		path += "?" + c.fill(r.query)
	}
	var body any
	if r.body != nil {
		body = r.body(c)
	}
	res := c.w.env.For(t).Do(apitest.Request{Method: c.op.method, Path: path, Token: c.as.Token, Body: body, Header: c.ifMatch(path)})
	if res.Status != want {
		t.Errorf("%s %s as %s: %d, want %d: %.600s", c.op.method, path, c.who, res.Status, want, res.Body)
	} else if want >= 400 {
		res.Problem(t)
	}
	for _, leak := range c.w.leaks(c.as, res) {
		t.Errorf("%s %s as %s: the response carries %s: %.600s", c.op.method, path, c.who, leak, res.Body)
	}
}

// ifMatch is the If-Match of a client that has just read what the
// operation changes, where the operation takes one.
func (c *cell) ifMatch(path string) http.Header {
	if !slices.ContainsFunc(c.op.op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Value.In == "header" && p.Value.Name == "If-Match" }) {
		return nil
	}
	if h := c.w.env.IfMatch(c.op.method, path); h != nil {
		return h
	}
	// The caller's own account (/v1/me), whose path names no record.
	version := int64(1)
	if c.as.ID != uuid.Nil {
		if err := c.w.env.DB.Table("users").Select("version").Where("id = ?", c.as.ID).Scan(&version).Error; err != nil {
			c.t.Fatalf("version of %s: %v", c.as.ID, err)
		}
	}
	return http.Header{"If-Match": {handlers.ETag(c.as.ID, version)}}
}

// fields change an example body: nil removes a field, a string "{param}"
// is the cell's param, and a func(*cell) any is called for the value.
type fields map[string]any

// example is the body the spec gives as the operation's example, changed by
// over.
func example(over fields) func(c *cell) any { return namedExample("", over) }

// namedExample is example for an operation with several named examples.
func namedExample(name string, over fields) func(c *cell) any {
	return func(c *cell) any {
		media := c.op.op.RequestBody.Value.Content.Get("application/json")
		ex := media.Example
		if name != "" {
			ex = media.Examples[name].Value.Value
		}
		if ex == nil {
			c.t.Fatalf("%s: the spec has no example %q", c.op.id, name)
		}
		raw, err := json.Marshal(ex)
		if err != nil {
			c.t.Fatalf("%s: example: %v", c.op.id, err)
		}
		body := map[string]any{}
		if err := json.Unmarshal(raw, &body); err != nil {
			c.t.Fatalf("%s: example: %v", c.op.id, err)
		}
		for k, v := range over {
			switch v := v.(type) {
			case nil:
				delete(body, k)
			case func(*cell) any:
				body[k] = v(c)
			case string:
				if wholeParam.MatchString(v) {
					v = c.fill(v)
				}
				body[k] = v
			default:
				body[k] = v
			}
		}
		return body
	}
}

// freshEmail is an address no account has.
func freshEmail(*cell) any { return "matrix-" + uuid.NewString()[:13] + "@clinic.example" }

// loginEmail is the email of the world's login account.
func loginEmail(c *cell) any { return c.w.login.Email }

// freshRefreshToken is a refresh token of the world's login account, issued
// as a login would.
func freshRefreshToken(c *cell) any {
	token, hash := auth.NewRefreshToken()
	rt := models.RefreshToken{UserID: c.w.login.ID, TokenHash: hash, ExpiresAt: c.w.env.App.Now().Add(auth.RefreshTokenTTL)}
	if err := c.w.env.App.Store.CreateRefreshToken(context.Background(), &rt); err != nil {
		c.t.Fatalf("refresh token: %v", err)
	}
	return token
}

// standIn calls as a new account of the caller's role, for operations that
// change the caller's own account.
func standIn(c *cell) {
	c.as = c.w.env.NewUser(c.as.Role, "Stand-in "+c.who.String(), "nurse")
}

// standInTarget makes the call's user_id a new patient, for operations
// that end the logins of the account they name: the owner's must live on.
func standInTarget(c *cell) {
	c.params["user_id"] = c.w.env.Patient("Stand-in target").ID.String()
}

// ownerMakes gives the call a new record of the owner's, made by post at
// the collection, as the param.
func ownerMakes(param, collection string, body map[string]any) func(c *cell) {
	return func(c *cell) {
		var made struct{ ID uuid.UUID }
		c.w.env.Post(collection, c.w.a.patient.Token, body).Expect(c.t, http.StatusCreated).JSON(c.t, &made)
		c.params[param] = made.ID.String()
	}
}

// freshAlert gives the call a new open safety alert of the owner's.
func freshAlert(c *cell) {
	a := assess(c.t, c.w.env, c.w.a.patient, phq9(12, 2))
	c.params["alert_id"] = alertOf(c.t, c.w.env, a.ID).String()
}

// onCareTeam puts the spare clinician on the owner's care team, for the
// admin to take off.
func onCareTeam(c *cell) {
	if _, err := c.w.env.App.Store.AssignClinician(context.Background(), c.w.a.patient.ID, c.w.spare.ID, c.w.admin.ID); err != nil {
		c.t.Fatalf("assign: %v", err)
	}
}

// noActivePlan cancels the owner's active plan, if any, so that their care
// team may make a new one.
func noActivePlan(c *cell) {
	if plan, ok := c.w.activePlan(); ok {
		if _, err := c.w.env.App.Store.SetPlanStatus(context.Background(), plan.ID, plan.PatientID, 0, models.PlanStatusCancelled); err != nil {
			c.t.Fatalf("cancel plan: %v", err)
		}
	}
}

// activePlan gives the call the owner's active plan and one of its
// scheduled sessions, making the plan if there is none.
func activePlan(c *cell) {
	a := c.w.a
	plan, ok := c.w.activePlan()
	if !ok {
		var err error
		plan, err = c.w.env.App.Store.CreatePlan(context.Background(), a.patient.ID, a.team.ID, store.NewPlan{
			Route: models.RouteIVInfusion, Plan: scheduling.Plan{StartDate: time.Now().UTC().AddDate(0, 0, 1), SessionsPerWeek: 2, SessionCount: 6, TimeOfDay: "09:00"}})
		if err != nil {
			c.t.Fatalf("make plan: %v", err)
		}
	}
	var session models.TreatmentSession
	if err := c.w.env.DB.Where("plan_id = ? AND status = ?", plan.ID, models.SessionStatusScheduled).Order("sequence").Take(&session).Error; err != nil {
		c.t.Fatalf("a scheduled session of plan %s: %v", plan.ID, err)
	}
	c.params["plan_id"], c.params["session_id"] = plan.ID.String(), session.ID.String()
}

func (w *world) activePlan() (models.TreatmentPlan, bool) {
	var plan models.TreatmentPlan
	err := w.env.DB.Where("patient_id = ? AND status = ?", w.a.patient.ID, models.PlanStatusActive).Take(&plan).Error
	return plan, err == nil
}

// namesChildOfPatient reports whether the operation's path names a record
// beneath a patient.
func namesChildOfPatient(op specOp) bool {
	params := paramRef.FindAllString(op.path, -1)
	return len(params) > 1 && params[0] == "{patient_id}"
}

// mixedWant is the status of a call that names, beneath a patient the
// caller may see, a record of another patient's: refused as the row
// refuses the caller's role or missing token, and otherwise not found.
func (r row) mixedWant(who caller) int {
	if s := r.want[who]; s == http.StatusUnauthorized || s == http.StatusForbidden {
		return s
	}
	return http.StatusNotFound
}

// undocumented lists the statuses of the row that the operation does not
// document.
func (r row) undocumented(op specOp) []int {
	var out []int
	for _, s := range r.want {
		if op.op.Responses.Value(strconv.Itoa(s)) == nil {
			out = append(out, s)
		}
	}
	return out
}
