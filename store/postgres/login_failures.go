package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keyhook/keyhook/store"
)

// foreignKeyViolation is SQLSTATE 23503.
const foreignKeyViolation = "23503"

// LoginFailureAdd counts a failure with one upsert: the increment happens in
// SQL under the row's lock, so concurrent failures of a pair never read the
// same count, even under READ COMMITTED.
func (q *queries) LoginFailureAdd(ctx context.Context, p store.LoginFailureAddParams) (int, error) {
	if p.UserID == "" || p.IP == "" {
		return 0, errors.New("postgres: add login failure: user id and ip are required")
	}
	at := p.At
	if at.IsZero() {
		at = time.Now()
	}
	var n int
	err := q.q.QueryRow(ctx, `INSERT INTO login_failures (user_id, ip, identifier, connection, count, first_at, last_at)
    VALUES ($1, $2, $3, $4, 1, $5, $5)
    ON CONFLICT (user_id, ip) DO UPDATE SET count = login_failures.count + 1, identifier = excluded.identifier,
        connection = excluded.connection, last_at = excluded.last_at
    RETURNING count`,
		p.UserID, p.IP, p.Identifier, p.Connection, normTime(at)).Scan(&n)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == foreignKeyViolation {
		return 0, fmt.Errorf("postgres: add login failure: no user %q: %w", p.UserID, store.ErrNotFound)
	}
	if err != nil {
		return 0, dbErr("add login failure", err)
	}
	return n, nil
}

const loginFailureCols = `user_id, ip, identifier, connection, count, first_at, last_at`

func loginFailureWhere(userID, ip, identifier string) *where {
	w := &where{}
	if userID != "" {
		w.add("user_id = " + w.arg(userID))
	}
	if ip != "" {
		w.add("ip = " + w.arg(ip))
	}
	if identifier != "" {
		w.add("identifier = " + w.arg(identifier))
	}
	return w
}

func (q *queries) LoginFailureList(ctx context.Context, p store.LoginFailureListParams) ([]store.LoginFailure, error) {
	w := loginFailureWhere(p.UserID, p.IP, p.Identifier)
	if p.Min > 0 {
		w.add("count >= " + w.arg(p.Min))
	}
	rows, err := q.q.Query(ctx, `SELECT `+loginFailureCols+` FROM login_failures`+w.String()+` ORDER BY user_id, ip`, w.args...)
	if err != nil {
		return nil, dbErr("list login failures", err)
	}
	defer rows.Close()
	out := []store.LoginFailure{}
	for rows.Next() {
		var f store.LoginFailure
		if err := rows.Scan(&f.UserID, &f.IP, &f.Identifier, &f.Connection, &f.Count, timeCol{&f.FirstAt}, timeCol{&f.LastAt}); err != nil {
			return nil, dbErr("list login failures", err)
		}
		out = append(out, f)
	}
	return out, dbErr("list login failures", rows.Err())
}

func (q *queries) LoginFailureDelete(ctx context.Context, p store.LoginFailureDeleteParams) (int, error) {
	if p.UserID == "" && p.Identifier == "" {
		return 0, errors.New("postgres: delete login failures: user id or identifier is required")
	}
	w := loginFailureWhere(p.UserID, p.IP, p.Identifier)
	tag, err := q.q.Exec(ctx, `DELETE FROM login_failures`+w.String(), w.args...)
	if err != nil {
		return 0, dbErr("delete login failures", err)
	}
	return int(tag.RowsAffected()), nil
}
