package store

import (
	"strings"
	"time"

	"gorm.io/gorm"
)

// changedSince narrows q to the rows changed at or after p.UpdatedSince:
// those where any of columns (updated_at, or created_at for rows that never
// change) is at or after it. Without UpdatedSince q is left as it is.
//
// The instant is cut to whole microseconds, the precision timestamps are
// stored at, rounding down: a row stamped within the same microsecond is
// listed again rather than missed. It is given in UTC because SQLite
// compares the stored text.
func (p Page) changedSince(q *gorm.DB, columns ...string) *gorm.DB {
	if p.UpdatedSince == nil {
		return q
	}
	since := p.UpdatedSince.UTC().Truncate(time.Microsecond)
	conds := make([]string, len(columns))
	args := make([]any, len(columns))
	for i, c := range columns {
		conds[i], args[i] = c+" >= ?", since
	}
	return q.Where("("+strings.Join(conds, " OR ")+")", args...)
}
