package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keyhook/keyhook/store"
)

// normTime is the precision of timestamptz (microseconds), in UTC. Truncating
// here rather than letting the server round keeps the caller's struct equal
// to what a read returns, and equal to what SQLite returns.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normNullTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// timeCol scans a timestamptz column into UTC (pgx returns local time).
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(src any) error {
	t, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("time column holds %T", src)
	}
	*c.dst = t.UTC()
	return nil
}

// nullTimeCol scans a nullable timestamptz column.
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

// jsonCol scans a jsonb column into dst (a pointer).
type jsonCol struct{ dst any }

func (c jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), c.dst)
	case []byte:
		return json.Unmarshal(v, c.dst)
	}
	return fmt.Errorf("json column holds %T", src)
}

// compactRaw re-compacts raw JSON values: jsonb returns them with spaces
// after separators, SQLite as written; both backends return them compact.
func compactRaw(m map[string]json.RawMessage) error {
	for k, v := range m {
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return err
		}
		m[k] = b.Bytes()
	}
	return nil
}

// jsonArgs encodes values for jsonb columns, keeping the first error so a
// statement's arguments can be built inline and checked once.
type jsonArgs struct{ err error }

// encode returns v as JSON text, or empty ("[]" or "{}") when v is nil, so
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

// uniqueViolation is SQLSTATE 23505.
const uniqueViolation = "23505"

// dbErr wraps a database error: no rows become ErrNotFound, unique
// violations ErrConflict.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	return fmt.Errorf("postgres: %s: %w", op, mapErr(err))
}

func mapErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == uniqueViolation {
		return fmt.Errorf("%w (%w)", store.ErrConflict, err)
	}
	return err
}

// mustAffect turns an UPDATE or DELETE that matched nothing into ErrNotFound.
func mustAffect(op string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return dbErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// where collects the conditions of a list query and their arguments,
// numbering placeholders as they are added.
type where struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// defaultPerPage is PageParams.PerPage's default.
const defaultPerPage = 50

// page returns the LIMIT and OFFSET clause of p, adding their arguments.
func (w *where) page(p store.PageParams) string {
	limit := p.PerPage
	if limit <= 0 {
		limit = defaultPerPage
	}
	offset := max(p.Page, 0) * limit
	return " LIMIT " + w.arg(limit) + " OFFSET " + w.arg(offset)
}

// placeholders returns "$1, $2, …, $n".
func placeholders(n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(i+1)
	}
	return strings.Join(ps, ", ")
}
