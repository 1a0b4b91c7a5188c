package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
)

// secretKeyCheck is the meta key of the check value.
const secretKeyCheck = "secret_key_check"

// checkSecretKey verifies that sealer holds the key this database was sealed
// with: it opens the check value stored by the first Open, storing it now if
// there is none. A database from before the check has none; if it holds a
// signing key, that key must open instead.
func checkSecretKey(ctx context.Context, q *dbsqlc.Queries, sealer store.Sealer) error {
	mismatch := func(err error) error {
		return fmt.Errorf("postgres: %w (%w)", store.ErrSecretKeyMismatch, err)
	}
	stored, err := q.MetaGet(ctx, secretKeyCheck)
	if errors.Is(err, pgx.ErrNoRows) {
		if err := storeSecretKeyCheck(ctx, q, sealer); err != nil {
			return err
		}
		stored, err = q.MetaGet(ctx, secretKeyCheck)
	}
	if err != nil {
		return fmt.Errorf("postgres: secret key check: %w", err)
	}
	plain, err := sealer.Open(stored)
	if err != nil {
		return mismatch(err)
	}
	if string(plain) != store.SecretKeyCheck {
		return mismatch(errors.New("the check value does not match"))
	}
	return nil
}

// storeSecretKeyCheck stores the check value sealed with sealer, unless a
// signing key sealed before the check existed does not open with it.
func storeSecretKeyCheck(ctx context.Context, q *dbsqlc.Queries, sealer store.Sealer) error {
	keys, err := q.SigningKeyList(ctx)
	if err != nil {
		return fmt.Errorf("postgres: secret key check: %w", err)
	}
	if len(keys) > 0 {
		if _, err := sealer.Open(keys[0].PrivateKey); err != nil {
			return fmt.Errorf("postgres: %w (%w)", store.ErrSecretKeyMismatch, err)
		}
	}
	sealed, err := sealer.Seal([]byte(store.SecretKeyCheck))
	if err != nil {
		return fmt.Errorf("postgres: secret key check: %w", err)
	}
	// Of two nodes opening a new database together, the first value
	// stays and the other verifies it.
	if err := q.MetaInsert(ctx, dbsqlc.MetaInsertParams{Key: secretKeyCheck, Value: sealed}); err != nil {
		return fmt.Errorf("postgres: secret key check: %w", err)
	}
	return nil
}
