package apitest

import (
	"sync/atomic"

	"gorm.io/gorm"
)

// Statements counts the SQL statements the service sends to its database,
// as GORM runs them: queries (finds, row scans, and raw statements, which
// include Exec's) and writes (the inserts, updates and deletes of models).
// A transaction's BEGIN and COMMIT do not pass GORM's callbacks, so they
// are not counted.
type Statements struct {
	queries, writes atomic.Int64
}

// StatementCount is how many statements of each kind ran.
type StatementCount struct {
	Queries, Writes int64
}

// Total is all the statements.
func (c StatementCount) Total() int64 { return c.Queries + c.Writes }

// countStatements registers the counters on the service's database, once
// per Env: every test may then measure any stretch of its requests.
func countStatements(db *gorm.DB) (*Statements, error) {
	s := &Statements{}
	query := func(*gorm.DB) { s.queries.Add(1) }
	write := func(*gorm.DB) { s.writes.Add(1) }
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("apitest:count_query", query),
		cb.Row().After("gorm:row").Register("apitest:count_row", query),
		cb.Raw().After("gorm:raw").Register("apitest:count_raw", query),
		cb.Create().After("gorm:create").Register("apitest:count_create", write),
		cb.Update().After("gorm:update").Register("apitest:count_update", write),
		cb.Delete().After("gorm:delete").Register("apitest:count_delete", write),
	} {
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Of runs f and returns the statements the service ran meanwhile. The
// service runs nothing on its own between requests that a test could catch
// here (its one background task, pruning the sync log, runs only under
// app.Serve), so the count is the requests' own.
func (s *Statements) Of(f func()) StatementCount {
	q, w := s.queries.Load(), s.writes.Load()
	f()
	return StatementCount{Queries: s.queries.Load() - q, Writes: s.writes.Load() - w}
}

// Statements is the service's statement counter.
func (e *Env) Statements() *Statements { return e.statements }
