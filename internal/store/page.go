package store

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Page asks for one page of a list: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
	// UpdatedSince, when set, keeps the records changed at or after it; each
	// list applies it to its own columns with changedSince.
	UpdatedSince *time.Time
}

// cursor is the position after the last item of a page. Clients get it as
// opaque base64 so the encoding can change without breaking them.
type cursor struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"i"`
}

func encodeCursor(createdAt time.Time, id uuid.UUID) string {
	b, _ := json.Marshal(cursor{CreatedAt: createdAt.UTC(), ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == uuid.Nil || c.CreatedAt.IsZero() {
		return c, ErrBadCursor
	}
	return c, nil
}

// keyed is a row listed newest first by (created_at, id).
type keyed interface {
	PageKey() (time.Time, uuid.UUID)
}

// paginate runs q as one keyset page, newest first with the id as
// tie-break, and returns the items and the cursor of the next page (nil on the
// last). It reads Limit+1 rows to learn whether another page exists.
func paginate[T keyed](q *gorm.DB, p Page) ([]T, *string, error) {
	return paginateQ[T](q, p, "")
}

// paginateQ is paginate for a query whose key columns need a table
// qualifier, such as "m." in a join.
func paginateQ[T keyed](q *gorm.DB, p Page, qualifier string) ([]T, *string, error) {
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, nil, err
		}
		q = q.Where("("+qualifier+"created_at, "+qualifier+"id) < (?, ?)", c.CreatedAt, c.ID)
	}
	var rows []T
	if err := q.Order(qualifier + "created_at DESC, " + qualifier + "id DESC").Limit(p.Limit + 1).Find(&rows).Error; err != nil {
		return nil, nil, translate(err, "")
	}
	if len(rows) <= p.Limit {
		return rows, nil, nil
	}
	rows = rows[:p.Limit]
	t, id := rows[len(rows)-1].PageKey()
	next := encodeCursor(t, id)
	return rows, &next, nil
}
