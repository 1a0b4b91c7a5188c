package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite/internal/column"
	"github.com/keyhook/keyhook/store/sqlite/internal/dbsqlc"
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
	var n int64
	err := q.write(ctx, func(q *queries) error {
		var err error
		n, err = q.db.LoginFailureAdd(ctx, dbsqlc.LoginFailureAddParams{
			UserID: p.UserID, Ip: p.IP, Identifier: p.Identifier, Connection: p.Connection, At: column.Of(at),
		})
		return err
	})
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return 0, fmt.Errorf("sqlite: add login failure: no user %q: %w", p.UserID, store.ErrNotFound)
	}
	if err != nil {
		return 0, dbErr("add login failure", err)
	}
	return int(n), nil
}

func loginFailureFromRow(r dbsqlc.LoginFailure) (*store.LoginFailure, error) {
	return &store.LoginFailure{
		UserID: r.UserID, IP: r.Ip, Identifier: r.Identifier, Connection: r.Connection, Count: int(r.Count),
		FirstAt: r.FirstAt.Time, LastAt: r.LastAt.Time,
	}, nil
}

// LoginFailureList picks the query that filters by user, else by
// identifier, else by neither (see login_failures.sql).
func (q *queries) LoginFailureList(ctx context.Context, p store.LoginFailureListParams) ([]store.LoginFailure, error) {
	var rows []dbsqlc.LoginFailure
	var err error
	switch minCount := int64(p.Min); {
	case p.UserID != "":
		rows, err = q.db.LoginFailureListByUser(ctx, dbsqlc.LoginFailureListByUserParams{
			UserID: p.UserID, Ip: p.IP, Identifier: p.Identifier, Min: minCount,
		})
	case p.Identifier != "":
		rows, err = q.db.LoginFailureListByIdentifier(ctx, dbsqlc.LoginFailureListByIdentifierParams{
			Identifier: p.Identifier, Ip: p.IP, Min: minCount,
		})
	default:
		rows, err = q.db.LoginFailureList(ctx, dbsqlc.LoginFailureListParams{Ip: p.IP, Min: minCount})
	}
	return rowsOf("list login failures", rows, err, loginFailureFromRow)
}

func (q *queries) LoginFailureDelete(ctx context.Context, p store.LoginFailureDeleteParams) (int, error) {
	if p.UserID == "" && p.Identifier == "" {
		return 0, errors.New("sqlite: delete login failures: user id or identifier is required")
	}
	var n int64
	err := q.write(ctx, func(q *queries) error {
		var err error
		if p.UserID != "" {
			n, err = q.db.LoginFailureDeleteByUser(ctx, dbsqlc.LoginFailureDeleteByUserParams{
				UserID: p.UserID, Ip: p.IP, Identifier: p.Identifier,
			})
		} else {
			n, err = q.db.LoginFailureDeleteByIdentifier(ctx, dbsqlc.LoginFailureDeleteByIdentifierParams{
				Identifier: p.Identifier, Ip: p.IP,
			})
		}
		return err
	})
	if err != nil {
		return 0, dbErr("delete login failures", err)
	}
	return int(n), nil
}
