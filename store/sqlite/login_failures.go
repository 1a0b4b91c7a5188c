package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keyhook/keyhook/store"
)

// LoginFailureAdd counts a failure with one upsert: the increment happens in
// SQL, so concurrent failures of a pair never read the same count.
func (q *queries) LoginFailureAdd(ctx context.Context, p store.LoginFailureAddParams) (int, error) {
	if p.UserID == "" || p.IP == "" {
		return 0, errors.New("sqlite: add login failure: user id and ip are required")
	}
	at := p.At
	if at.IsZero() {
		at = time.Now()
	}
	var n int
	err := q.scanWrite(ctx, `INSERT INTO login_failures (user_id, ip, identifier, connection, count, first_at, last_at)
    VALUES (?, ?, ?, ?, 1, ?, ?)
    ON CONFLICT (user_id, ip) DO UPDATE SET count = count + 1, identifier = excluded.identifier,
        connection = excluded.connection, last_at = excluded.last_at
    RETURNING count`,
		[]any{p.UserID, p.IP, p.Identifier, p.Connection, fmtTime(at), fmtTime(at)}, &n)
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return 0, fmt.Errorf("sqlite: add login failure: no user %q: %w", p.UserID, store.ErrNotFound)
	}
	if err != nil {
		return 0, dbErr("add login failure", err)
	}
	return n, nil
}

// scanWrite runs a statement that writes and returns one row. Outside a
// transaction it takes the write lock first, as lockedDB.ExecContext does,
// and holds it until the row is read.
func (q *queries) scanWrite(ctx context.Context, query string, args []any, dest ...any) error {
	if l, ok := q.q.(lockedDB); ok {
		if err := l.lock.acquire(ctx); err != nil {
			return err
		}
		defer l.lock.release()
	}
	return q.q.QueryRowContext(ctx, query, args...).Scan(dest...)
}

const loginFailureCols = `user_id, ip, identifier, connection, count, first_at, last_at`

func loginFailureWhere(userID, ip, identifier string) *where {
	w := &where{}
	if userID != "" {
		w.add("user_id = ?", userID)
	}
	if ip != "" {
		w.add("ip = ?", ip)
	}
	if identifier != "" {
		w.add("identifier = ?", identifier)
	}
	return w
}

func (q *queries) LoginFailureList(ctx context.Context, p store.LoginFailureListParams) ([]store.LoginFailure, error) {
	w := loginFailureWhere(p.UserID, p.IP, p.Identifier)
	if p.Min > 0 {
		w.add("count >= ?", p.Min)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+loginFailureCols+` FROM login_failures`+w.String()+` ORDER BY user_id, ip`, w.args...)
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
		return 0, errors.New("sqlite: delete login failures: user id or identifier is required")
	}
	w := loginFailureWhere(p.UserID, p.IP, p.Identifier)
	res, err := q.q.ExecContext(ctx, `DELETE FROM login_failures`+w.String(), w.args...)
	if err != nil {
		return 0, dbErr("delete login failures", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbErr("delete login failures", err)
	}
	return int(n), nil
}
