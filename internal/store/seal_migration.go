package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/seal"
)

// sealMigrationVersion is the Go migration between 00110, which adds the
// sealed columns, and 00112, which drops the clear ones.
const sealMigrationVersion = 111

// sealBatch bounds the rows the data migration holds in memory at once.
const sealBatch = 500

// sealMigration seals, with keys, the clear text of every row written
// before migration 00110, and empties it, in goose's transaction: either
// every row is sealed and the version recorded, or nothing changed and the
// next start tries again. SQL alone cannot do it: it needs the key.
func sealMigration(dialect string, keys *seal.Keyring) *goose.Migration {
	return goose.NewGoMigration(sealMigrationVersion, &goose.GoFunc{
		RunTx: func(ctx context.Context, tx *sql.Tx) error {
			s := &Store{keys: keys}
			for _, t := range sealedTables {
				if err := s.sealClearRows(ctx, tx, dialect, t.table, t.columns); err != nil {
					return fmt.Errorf("seal %s: %w", t.table, err)
				}
			}
			return nil
		},
	}, nil)
}

// sealClearRows seals the clear columns of the table's rows that have any,
// a batch at a time: each row's update writes the sealed values and the key
// id and empties the clear columns, so a row is clear or sealed, never
// both.
func (s *Store) sealClearRows(ctx context.Context, tx *sql.Tx, dialect, table string, columns []string) error {
	bind := func(n int) string {
		if dialect == Postgres {
			return "$" + strconv.Itoa(n)
		}
		return "?"
	}
	clear := make([]string, len(columns))
	set := []string{"key_id = " + bind(1)}
	for i, c := range columns {
		clear[i] = c + " IS NOT NULL"
		set = append(set, c+"_sealed = "+bind(i+2), c+" = NULL")
	}
	// Ids are compared as text: SQLite stores them so, and PostgreSQL's
	// uuid order is the same as its text order.
	query := "SELECT id, key_id, " + strings.Join(columns, ", ") + " FROM " + table +
		" WHERE (" + strings.Join(clear, " OR ") + ") AND CAST(id AS text) > " + bind(1) +
		" ORDER BY CAST(id AS text) LIMIT " + strconv.Itoa(sealBatch)
	update := "UPDATE " + table + " SET " + strings.Join(set, ", ") + " WHERE id = " + bind(len(columns)+2)
	after := ""
	for {
		rows, err := s.readClearRows(ctx, tx, query, after, len(columns))
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.keyID.Valid {
				// Only code before 00110 wrote clear text, and it wrote no
				// key id: a row with both was changed by hand. Stop rather
				// than guess which text is the patient's.
				return fmt.Errorf("row %s holds clear and sealed text", r.id)
			}
			c := s.sealer(table, r.id)
			args := []any{c.keyID}
			for i, v := range r.values {
				var text *string
				if v.Valid {
					text = &v.String
				}
				args = append(args, models.Sealed(c.sealText(columns[i], text)))
			}
			if c.err != nil {
				return c.err
			}
			if _, err := tx.ExecContext(ctx, update, append(args, r.id)...); err != nil {
				return err
			}
			after = r.id.String()
		}
		if len(rows) < sealBatch {
			return nil
		}
	}
}

// clearRow is a row the data migration seals.
type clearRow struct {
	id     uuid.UUID
	keyID  sql.NullString
	values []sql.NullString
}

func (s *Store) readClearRows(ctx context.Context, tx *sql.Tx, query, after string, n int) ([]clearRow, error) {
	rows, err := tx.QueryContext(ctx, query, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []clearRow
	for rows.Next() {
		r := clearRow{values: make([]sql.NullString, n)}
		dest := []any{&r.id, &r.keyID}
		for i := range r.values {
			dest = append(dest, &r.values[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
