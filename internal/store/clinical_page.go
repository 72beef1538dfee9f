package store

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// paginateBy is paginate for lists ordered by a timestamp column other than
// created_at (such as scheduled_at), with the id as tie-break so the order is
// total and stable while rows are added. ascending lists earliest first; key
// returns the column's value and the id of a row, which make its cursor.
func paginateBy[T any](q *gorm.DB, p Page, column string, ascending bool, key func(T) (time.Time, uuid.UUID)) ([]T, *string, error) {
	cmp, dir := "<", "DESC"
	if ascending {
		cmp, dir = ">", "ASC"
	}
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, nil, err
		}
		q = q.Where("("+column+", id) "+cmp+" (?, ?)", c.CreatedAt, c.ID)
	}
	var rows []T
	if err := q.Order(column + " " + dir + ", id " + dir).Limit(p.Limit + 1).Find(&rows).Error; err != nil {
		return nil, nil, translate(err, "")
	}
	if len(rows) <= p.Limit {
		return rows, nil, nil
	}
	rows = rows[:p.Limit]
	t, id := key(rows[len(rows)-1])
	next := encodeCursor(t, id)
	return rows, &next, nil
}
