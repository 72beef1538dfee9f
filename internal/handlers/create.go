package handlers

import (
	"context"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/store"
)

// createOnce runs create, unless the request carries a client-made id that
// a record already has. Then the caller's own record is loaded by existing
// and createOnce reports existed, so the handler answers 200 with it and
// nothing is created twice; anyone else's is a Conflict. A create that loses
// a race with a concurrent one carrying the same id is settled the same way.
func (s *Server) createOnce(ctx context.Context, kind store.Record, clientID *uuid.UUID, caller uuid.UUID,
	create func() error, existing func(id uuid.UUID) error) (existed bool, err error) {
	prior := func() (bool, error) {
		if clientID == nil {
			return false, nil
		}
		who, ok, err := s.Store.CreatorOf(ctx, kind, *clientID)
		if err != nil || !ok {
			return false, err
		}
		if who != caller {
			return false, errIDTaken
		}
		return true, existing(*clientID)
	}
	if found, err := prior(); found || err != nil {
		return found, err
	}
	if err := create(); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			if found, perr := prior(); found || perr != nil {
				return found, perr
			}
		}
		return false, err
	}
	return false, nil
}

// errIDTaken answers a client-made id that names someone else's record, or
// a record of the caller's under another parent than the request's.
var errIDTaken = apperr.New(apperr.Conflict, "Another record already has this id; make a new one.")

// clientID turns a request's optional id into the store's form: uuid.Nil
// asks the store for a new one.
func clientID(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
