package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keyhook/keyhook/store"
)

// checkSecretKey verifies that sealer holds the key this database was sealed
// with: it opens the check value stored by the first Open, storing it now if
// there is none. A database from before the check has none; if it holds a
// signing key, that key must open instead.
func checkSecretKey(ctx context.Context, pool *pgxpool.Pool, sealer store.Sealer) error {
	mismatch := func(err error) error {
		return fmt.Errorf("postgres: %w (%w)", store.ErrSecretKeyMismatch, err)
	}
	stored, err := readSecretKeyCheck(ctx, pool)
	if err != nil {
		return err
	}
	if stored == nil {
		var key []byte
		err := pool.QueryRow(ctx, `SELECT private_key FROM signing_keys ORDER BY created_at DESC, kid DESC LIMIT 1`).Scan(&key)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("postgres: secret key check: %w", err)
		default:
			if _, err := sealer.Open(key); err != nil {
				return mismatch(err)
			}
		}
		sealed, err := sealer.Seal([]byte(store.SecretKeyCheck))
		if err != nil {
			return fmt.Errorf("postgres: secret key check: %w", err)
		}
		// Of two nodes opening a new database together, the first value
		// stays and the other verifies it below.
		if _, err := pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('secret_key_check', $1)
    ON CONFLICT (key) DO NOTHING`, sealed); err != nil {
			return fmt.Errorf("postgres: secret key check: %w", err)
		}
		if stored, err = readSecretKeyCheck(ctx, pool); err != nil {
			return err
		}
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

// readSecretKeyCheck returns the stored check value, nil if there is none.
func readSecretKeyCheck(ctx context.Context, pool *pgxpool.Pool) ([]byte, error) {
	var v []byte
	err := pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'secret_key_check'`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: secret key check: %w", err)
	}
	return v, nil
}
