package store

import "github.com/ketacare/api/internal/apperr"

// Errors about what a caller passed in. They say what is wrong in the
// store's terms; the HTTP layer names the request field each is about
// (handlers/problem.go), so the store never knows the API's field paths.
var (
	// ErrBadCursor is a page cursor this API did not issue.
	ErrBadCursor = apperr.New(apperr.Invalid, "The cursor is not one this API issued.")
	// ErrBadSyncToken is a sync token this API did not issue.
	ErrBadSyncToken = apperr.New(apperr.Invalid, "The sync token is not one this API issued.")
	// ErrNotYourSession is a session that is not one of the patient's,
	// whether someone else's or none at all.
	ErrNotYourSession = apperr.New(apperr.Invalid, "The session is not one of the patient's treatment sessions.")
	// ErrNotYourJournalEntry is a journal entry that is not one of the
	// patient's.
	ErrNotYourJournalEntry = apperr.New(apperr.Invalid, "The journal entry is not one of the patient's.")
	// ErrPlanStatus is a plan status a plan cannot be moved to.
	ErrPlanStatus = apperr.New(apperr.Invalid, "A plan can only be completed or cancelled.")
)
