package handlers

import (
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
)

// Conditional requests (RFC 9110 §13) keep two devices from overwriting each
// other: every single-record response carries an ETag made of the record's
// id and the version its caller sees (a session's patient sees their own
// view's, which the care team's notes do not move), a GET with a matching If-None-Match gets 304, and an
// operation that declares an If-Match parameter refuses to run without one
// (428) and refuses a stale one (412, carrying the current version). The
// middleware enforces If-Match for every operation that declares it; the
// handlers tag their responses and answer 304.

// ifMatch is the version of the record with the id that the request's
// If-Match names (of the view the caller was given), for the store to
// check: -1, which no record has, when the tag is another record's or not
// one this API made, so the store answers 412 with the current version.
// The conditional middleware has already refused a request without one.
func ifMatch(tag *api.IfMatch, id uuid.UUID) int64 {
	if tag == nil {
		return -1
	}
	tid, v, ok := parseETag(*tag)
	if !ok || tid != id {
		return -1
	}
	return v
}

// ETag is the entity tag of version v of the record with the id.
func ETag(id uuid.UUID, v int64) string {
	return `"` + id.String() + "." + strconv.FormatInt(v, 10) + `"`
}

// parseETag reads an entity tag made by ETag.
func parseETag(tag string) (uuid.UUID, int64, bool) {
	tag = strings.TrimSpace(tag)
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return uuid.Nil, 0, false
	}
	idPart, vPart, ok := strings.Cut(tag[1:len(tag)-1], ".")
	id, err1 := uuid.Parse(idPart)
	v, err2 := strconv.ParseInt(vPart, 10, 64)
	if !ok || err1 != nil || err2 != nil || v < 1 {
		return uuid.Nil, 0, false
	}
	return id, v, true
}

// notModified reports whether an If-None-Match value names the tag, so the
// client's copy is current.
func notModified(ifNoneMatch *string, tag string) bool {
	if ifNoneMatch == nil {
		return false
	}
	for _, t := range strings.Split(*ifNoneMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}
