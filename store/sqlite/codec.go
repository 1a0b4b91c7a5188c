package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite/internal/column"
)

// normTime is the stored precision (see column.Layout).
func normTime(t time.Time) time.Time { return column.Of(t).Time }

// jsonArgs encodes values for JSON columns, keeping the first error so a
// statement's parameters can be built inline and checked once.
type jsonArgs struct{ err error }

// encode returns v as JSON, or empty ("[]" or "{}") when v is nil, so
// columns never hold JSON null.
func (j *jsonArgs) encode(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil {
		j.err = errors.Join(j.err, err)
		return empty
	}
	if string(b) == "null" {
		return empty
	}
	return string(b)
}

// jsonCols decodes JSON columns, keeping the first error.
type jsonCols struct{ err error }

func (j *jsonCols) decode(s string, dst any) {
	if err := json.Unmarshal([]byte(s), dst); err != nil {
		j.err = errors.Join(j.err, err)
	}
}

// dbErr wraps a database error: no rows become ErrNotFound, unique and
// primary key violations ErrConflict.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	return fmt.Errorf("sqlite: %s: %w", op, mapErr(err))
}

func mapErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w (%w)", store.ErrConflict, err)
		}
	}
	return err
}

// mustAffect turns an UPDATE or DELETE that matched nothing into ErrNotFound.
func mustAffect(op string, n int64, err error) error {
	if err != nil {
		return dbErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// defaultPerPage is PageParams.PerPage's default.
const defaultPerPage = 50

func limitOffset(p store.PageParams) (limit, offset int64) {
	limit = int64(p.PerPage)
	if limit <= 0 {
		limit = defaultPerPage
	}
	return limit, int64(max(p.Page, 0)) * limit
}

// rowsOf converts the rows of a list query.
func rowsOf[R, T any](op string, rows []R, err error, conv func(R) (*T, error)) ([]T, error) {
	if err != nil {
		return nil, dbErr(op, err)
	}
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		v, err := conv(r)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", op, err)
		}
		out = append(out, *v)
	}
	return out, nil
}

// oneOf converts the row of a single-row query.
func oneOf[R, T any](op string, row R, err error, conv func(R) (*T, error)) (*T, error) {
	if err != nil {
		return nil, dbErr(op, err)
	}
	v, err := conv(row)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return v, nil
}
