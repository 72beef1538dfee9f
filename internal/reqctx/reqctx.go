// Package reqctx declares every value a request carries from the HTTP
// plumbing (internal/web) to the operations (internal/handlers): strict
// handlers see only the request's context.Context, not Echo's, so whatever
// they need of the request travels here. Each value says who writes it and
// who reads it. Keys are unexported types, so no other package can forge or
// read a value except through these functions.
package reqctx

import (
	"context"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/auth"
)

type (
	identityKey   struct{}
	requestIDKey  struct{}
	addressKey    struct{}
	accessNoteKey struct{}
)

// WithIdentity carries the caller's identity, as the access token states
// it. Written by the contract middleware once the token is verified and the
// login found live; read by the handlers, the audit trail and the request
// log. Anonymous requests carry none.
func WithIdentity(ctx context.Context, id auth.Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// Identity is the caller's identity, and false for anonymous requests.
func Identity(ctx context.Context) (auth.Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(auth.Identity)
	return id, ok
}

// WithRequestID carries the request's id (the client's X-Request-ID when
// it is safe to log, else one made up). Written first of all by the request
// id middleware; read by every log line about the request and by the audit
// events it records.
func WithRequestID(ctx context.Context, rid string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, rid)
}

// RequestID is the request's id, "" outside a request.
func RequestID(ctx context.Context) string {
	rid, _ := ctx.Value(requestIDKey{}).(string)
	return rid
}

// WithClientAddress carries the caller's network address, as Echo's IP
// extractor finds it (X-Forwarded-For only from TRUSTED_PROXIES). Written
// by the client address middleware; read by the sign-in throttle.
func WithClientAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, addressKey{}, addr)
}

// ClientAddress is the caller's address, "" outside a request.
func ClientAddress(ctx context.Context) string {
	a, _ := ctx.Value(addressKey{}).(string)
	return a
}

// AccessNote gathers the patients whose records one request touches, for
// the audit trail. The audit middleware makes one for each request of a
// clinician or an admin and records it before the response leaves; the
// access checks in the handlers (and an idempotent replay) write to it.
type AccessNote struct {
	mu       sync.Mutex
	patients []uuid.UUID
}

// WithAccessNote starts a note of the patients the request touches.
func WithAccessNote(ctx context.Context) (context.Context, *AccessNote) {
	n := &AccessNote{}
	return context.WithValue(ctx, accessNoteKey{}, n), n
}

// NoteAccess records that the request touches the patients' records. It
// does nothing for requests that are not audited (patients' own).
func NoteAccess(ctx context.Context, patients ...uuid.UUID) {
	n, ok := ctx.Value(accessNoteKey{}).(*AccessNote)
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.patients = append(n.patients, patients...)
}

// NotedPatients returns the patients the request has touched so far.
func NotedPatients(ctx context.Context) []uuid.UUID {
	n, ok := ctx.Value(accessNoteKey{}).(*AccessNote)
	if !ok {
		return nil
	}
	return n.Patients()
}

// Patients returns the patients noted so far.
func (n *AccessNote) Patients() []uuid.UUID {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.patients)
}
