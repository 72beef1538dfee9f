// Package apperr defines the domain errors every layer returns. The HTTP layer
// maps each Code to a status in one table (handlers/problem.go), so stores and
// handlers say what went wrong, never which status to send.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies a domain error.
type Code string

// The codes the application distinguishes.
const (
	Invalid         Code = "invalid"          // the input breaks a rule
	NotFound        Code = "not_found"        // missing, or not the caller's to see
	Conflict        Code = "conflict"         // clashes with the current state
	Unauthorized    Code = "unauthorized"     // no valid credentials
	Forbidden       Code = "forbidden"        // authenticated, but not allowed
	Unprocessable   Code = "unprocessable"    // well-formed, but refers to something unusable
	TooLarge        Code = "too_large"        // the body exceeds the limit
	UnsupportedType Code = "unsupported_type" // the body is not JSON
	Unavailable     Code = "unavailable"      // a dependency such as the database is down
	Stale           Code = "stale"            // If-Match names a version that is no longer current
	NeedsIfMatch    Code = "needs_if_match"   // a change was sent without If-Match
	TooMany         Code = "too_many"         // throttled; retry after RetryAfter
	Gone            Code = "gone"             // no longer served, such as an expired sync token
	Internal        Code = "internal"         // anything unexpected
)

// FieldError names one invalid input field and why it is invalid.
type FieldError struct {
	Field  string
	Reason string
}

// Error is a domain error with a code, a message safe to show the client and,
// for validation errors, the fields at fault.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// CurrentVersion is the record's version, told to a client whose
	// If-Match was stale so it can refetch and merge.
	CurrentVersion int64
	// RetryAfter tells a throttled client when to try again.
	RetryAfter time.Duration
	// Err is the underlying cause, logged but never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the code and a client-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error about a single field.
func Field(field, reason string) *Error {
	return &Error{Code: Invalid, Message: "The request has 1 invalid field.", Fields: []FieldError{{Field: field, Reason: reason}}}
}

// Fields returns an Invalid error about several fields.
func Fields(fields []FieldError) *Error {
	msg := "The request has 1 invalid field."
	if len(fields) != 1 {
		msg = fmt.Sprintf("The request has %d invalid fields.", len(fields))
	}
	return &Error{Code: Invalid, Message: msg, Fields: fields}
}

// CodeOf returns the code of err, Internal for errors that are not domain errors.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err is a domain error with the code.
func Is(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
