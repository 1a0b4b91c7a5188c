package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keyhook/keyhook/store"
)

// timeLayout is fixed width so stored times sort as text. Microseconds match
// PostgreSQL's timestamptz, so both backends return the same instants.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normNullTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

func fmtTime(t time.Time) string { return normTime(t).Format(timeLayout) }

func fmtNullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func textOf(src any) (string, bool) {
	switch v := src.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// timeCol scans a TEXT time column.
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(src any) error {
	s, ok := textOf(src)
	if !ok {
		return fmt.Errorf("time column holds %T", src)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return err
	}
	*c.dst = t
	return nil
}

// nullTimeCol scans a nullable TEXT time column.
type nullTimeCol struct{ dst **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.dst = &t
	return nil
}

// jsonCol scans a JSON TEXT column into dst (a pointer).
type jsonCol struct{ dst any }

func (c jsonCol) Scan(src any) error {
	s, ok := textOf(src)
	if !ok {
		return fmt.Errorf("json column holds %T", src)
	}
	return json.Unmarshal([]byte(s), c.dst)
}

// jsonArgs encodes values for JSON columns, keeping the first error so a
// statement's arguments can be built inline and checked once.
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
func mustAffect(op string, res sql.Result, err error) error {
	if err != nil {
		return dbErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// where collects the conditions of a list query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// defaultPerPage is PageParams.PerPage's default.
const defaultPerPage = 50

func limitOffset(p store.PageParams) (limit, offset int) {
	limit = p.PerPage
	if limit <= 0 {
		limit = defaultPerPage
	}
	return limit, max(p.Page, 0) * limit
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
