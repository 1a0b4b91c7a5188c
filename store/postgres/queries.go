package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
)

// queries implements store.Querier with the generated queries, over the
// pool (DB) or one transaction (tx).
type queries struct {
	db     *dbsqlc.Queries
	sealer store.Sealer
	// begin runs fn in a new transaction; nil when db already is one.
	begin func(ctx context.Context, fn func(q *queries) error) error
}

// inTx runs fn on queries bound to a transaction: q itself inside InTx, a
// new one otherwise. The update convention reads its row FOR UPDATE in it,
// so a second updater waits for the first to commit and then reads its
// result. Single statements need no transaction of their own.
func (q *queries) inTx(ctx context.Context, fn func(q *queries) error) error {
	if q.begin == nil {
		return fn(q)
	}
	return q.begin(ctx, fn)
}

// stamp fills zero creation and update times with now and truncates both to
// the stored precision, so the caller's struct matches what a read returns.
func stamp(created, updated *time.Time) {
	if created.IsZero() {
		*created = time.Now()
	}
	if updated.IsZero() {
		*updated = *created
	}
	*created, *updated = normTime(*created), normTime(*updated)
}

func requireID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("postgres: %s id is empty", kind)
	}
	return nil
}

// rowFields points at the fields of a row the update convention guards.
type rowFields struct {
	id               *string
	created, updated *time.Time
}

// update is the update convention (store.Querier): in one transaction,
// get reads the row FOR UPDATE, fn edits it, the ID and creation time are
// restored, an update time left as read becomes now, and put writes the row
// and returns it as stored.
func update[T any](ctx context.Context, q *queries, op string,
	get func(q *queries) (*T, error), fields func(*T) rowFields,
	fn func(*T) error, put func(q *queries, v *T) (*T, error)) (*T, error) {
	var out *T
	err := q.inTx(ctx, func(q *queries) error {
		v, err := get(q)
		if err != nil {
			return err
		}
		f := fields(v)
		id, created, updated := *f.id, *f.created, *f.updated
		if err := fn(v); err != nil {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		*f.id, *f.created = id, created
		if f.updated.IsZero() || f.updated.Equal(updated) {
			*f.updated = time.Now()
		}
		out, err = put(q, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---- connections ----

func (q *queries) ConnectionCreate(ctx context.Context, c *keyhook.Connection) error {
	if err := requireID("connection", c.ID); err != nil {
		return err
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	c.CreatedAt = normTime(c.CreatedAt)
	return dbErr("create connection", q.db.ConnectionCreate(ctx, dbsqlc.ConnectionCreateParams{
		ID: c.ID, Name: c.Name, Strategy: c.Strategy, PasswordPolicy: c.PasswordPolicy,
		PasswordMinLength: int32(c.PasswordMinLength), CreatedAt: normTime(c.CreatedAt),
	}))
}

func connectionFromRow(r dbsqlc.Connection) (*keyhook.Connection, error) {
	return &keyhook.Connection{ID: r.ID, Name: r.Name, Strategy: r.Strategy, PasswordPolicy: r.PasswordPolicy,
		PasswordMinLength: int(r.PasswordMinLength), CreatedAt: r.CreatedAt.UTC()}, nil
}

func (q *queries) ConnectionGetByName(ctx context.Context, name string) (*keyhook.Connection, error) {
	row, err := q.db.ConnectionGetByName(ctx, name)
	return oneOf("get connection", row, err, connectionFromRow)
}

func (q *queries) ConnectionList(ctx context.Context) ([]keyhook.Connection, error) {
	rows, err := q.db.ConnectionList(ctx)
	return rowsOf("list connections", rows, err, connectionFromRow)
}

// ---- signing keys, configuration version ----

func (q *queries) SigningKeyCreate(ctx context.Context, k *store.SigningKey) error {
	if err := requireID("signing key", k.KID); err != nil {
		return err
	}
	if len(k.PrivateKeyPEM) == 0 {
		return errors.New("postgres: create signing key: empty private key")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	k.CreatedAt = normTime(k.CreatedAt)
	sealed, err := q.sealer.Seal(k.PrivateKeyPEM)
	if err != nil {
		return fmt.Errorf("postgres: create signing key: %w", err)
	}
	return dbErr("create signing key", q.db.SigningKeyCreate(ctx, dbsqlc.SigningKeyCreateParams{
		Kid: k.KID, PrivateKey: sealed, CreatedAt: normTime(k.CreatedAt),
	}))
}

func (q *queries) SigningKeyList(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := q.db.SigningKeyList(ctx)
	return rowsOf("list signing keys", rows, err, func(r dbsqlc.SigningKey) (*store.SigningKey, error) {
		pem, err := q.sealer.Open(r.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Kid, err)
		}
		return &store.SigningKey{KID: r.Kid, PrivateKeyPEM: pem, CreatedAt: r.CreatedAt.UTC()}, nil
	})
}

func (q *queries) ConfigVersion(ctx context.Context) (int64, error) {
	v, err := q.db.ConfigVersionGet(ctx)
	if err != nil {
		return 0, dbErr("read config version", err)
	}
	return v, nil
}
