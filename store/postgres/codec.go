package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

// utcPtr returns a nullable timestamptz in UTC (pgx returns local time).
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// jsonArgs encodes values for jsonb columns, keeping the first error so a
// statement's parameters can be built inline and checked once.
type jsonArgs struct{ err error }

// encode returns v as JSON, or empty ("[]" or "{}") when v is nil, so
// columns never hold JSON null.
func (j *jsonArgs) encode(v any, empty string) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		j.err = errors.Join(j.err, err)
		return []byte(empty)
	}
	if string(b) == "null" {
		return []byte(empty)
	}
	return b
}

// jsonCols decodes jsonb columns, keeping the first error.
type jsonCols struct{ err error }

func (j *jsonCols) decode(b []byte, dst any) {
	if err := json.Unmarshal(b, dst); err != nil {
		j.err = errors.Join(j.err, err)
	}
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
func mustAffect(op string, n int64, err error) error {
	if err != nil {
		return dbErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// defaultPerPage is PageParams.PerPage's default.
const defaultPerPage = 50

func limitOffset(p store.PageParams) (limit, offset int32) {
	limit = int32(p.PerPage)
	if limit <= 0 {
		limit = defaultPerPage
	}
	return limit, int32(max(p.Page, 0)) * limit
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
			return nil, fmt.Errorf("postgres: %s: %w", op, err)
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
		return nil, fmt.Errorf("postgres: %s: %w", op, err)
	}
	return v, nil
}
