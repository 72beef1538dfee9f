package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/seal"
)

// TimeRange bounds a list by a timestamp: From <= t < To; nil is unbounded.
type TimeRange struct {
	From, To *time.Time
}

// apply narrows q to the range on column.
func (r TimeRange) apply(q *gorm.DB, column string) *gorm.DB {
	if r.From != nil {
		q = q.Where(column+" >= ?", r.From.UTC())
	}
	if r.To != nil {
		q = q.Where(column+" < ?", r.To.UTC())
	}
	return q
}

// rowCipher seals or opens the fields of one row. Each field is bound to
// the table, the column and the row id, so a sealed value copied to another
// row or column fails to open instead of showing someone else's words. The
// first failure sticks in err, so a row's fields can be handled in a run and
// checked once.
type rowCipher struct {
	keys  *seal.Keyring
	table string
	id    uuid.UUID
	keyID string
	err   error
}

// sealer seals new values of the row under the current key.
func (s *Store) sealer(table string, id uuid.UUID) *rowCipher {
	return &rowCipher{keys: s.keys, table: table, id: id, keyID: s.keys.CurrentKeyID()}
}

// opener opens the row's values, sealed under the key keyID names.
func (s *Store) opener(table string, id uuid.UUID, keyID string) *rowCipher {
	return &rowCipher{keys: s.keys, table: table, id: id, keyID: keyID}
}

func (r *rowCipher) ad(column string) []byte {
	return []byte(r.table + "/" + column + "/" + r.id.String())
}

// seal returns the sealed plaintext for the column.
func (r *rowCipher) seal(column string, plaintext []byte) []byte {
	if r.err != nil {
		return nil
	}
	out, err := r.keys.Seal(plaintext, r.ad(column))
	if err != nil {
		r.fail(column, err)
	}
	return out
}

// sealText seals an optional text; nil stays nil (NULL).
func (r *rowCipher) sealText(column string, s *string) []byte {
	if s == nil {
		return nil
	}
	return r.seal(column, []byte(*s))
}

// open returns the plaintext of the column's sealed value.
func (r *rowCipher) open(column string, sealed []byte) []byte {
	if r.err != nil {
		return nil
	}
	out, err := r.keys.Open(r.keyID, sealed, r.ad(column))
	if err != nil {
		r.fail(column, err)
	}
	return out
}

// openText opens an optional text; NULL stays nil.
func (r *rowCipher) openText(column string, sealed []byte) *string {
	if sealed == nil {
		return nil
	}
	s := string(r.open(column, sealed))
	if r.err != nil {
		return nil
	}
	return &s
}

// fail records why a value would not seal or open. The client gets a bare
// internal error; the log gets where it happened, never the words.
func (r *rowCipher) fail(column string, err error) {
	r.err = &apperr.Error{Code: apperr.Internal, Message: "Internal error.",
		Err: fmt.Errorf("%s.%s of row %s: %w", r.table, column, r.id, err)}
}

// refError reports a write that lost a race with the deletion of a record
// it refers to as lost, the error naming that reference.
func refError(err error, lost *apperr.Error) error {
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return lost
	}
	return translate(err, "")
}

// openAll opens every row of a page with open.
func openAll[M, T any](rows []M, open func(M) (T, error)) ([]T, error) {
	out := make([]T, len(rows))
	for i, m := range rows {
		v, err := open(m)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// inTx runs fn in a transaction bound to ctx and translates its error.
func (i *Store) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return translate(i.conn(ctx).Transaction(fn), "")
}
