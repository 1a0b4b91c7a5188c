package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keyhook/keyhook/store"
)

// checkSecretKey verifies that sealer holds the key this database was sealed
// with: it opens the check value stored by the first Open, storing it now if
// there is none. A database from before the check has none; if it holds a
// signing key, that key must open instead.
func checkSecretKey(ctx context.Context, db *sql.DB, sealer store.Sealer) error {
	mismatch := func(err error) error {
		return fmt.Errorf("sqlite: %w (%w)", store.ErrSecretKeyMismatch, err)
	}
	stored, err := readSecretKeyCheck(ctx, db)
	if err != nil {
		return err
	}
	if stored == nil {
		var key []byte
		err := db.QueryRowContext(ctx, `SELECT private_key FROM signing_keys ORDER BY created_at DESC, kid DESC LIMIT 1`).Scan(&key)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("sqlite: secret key check: %w", err)
		default:
			if _, err := sealer.Open(key); err != nil {
				return mismatch(err)
			}
		}
		sealed, err := sealer.Seal([]byte(store.SecretKeyCheck))
		if err != nil {
			return fmt.Errorf("sqlite: secret key check: %w", err)
		}
		// Of two processes opening a new database together, the first
		// value stays and the other verifies it below.
		if _, err := db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('secret_key_check', ?)
    ON CONFLICT (key) DO NOTHING`, sealed); err != nil {
			return fmt.Errorf("sqlite: secret key check: %w", err)
		}
		if stored, err = readSecretKeyCheck(ctx, db); err != nil {
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
func readSecretKeyCheck(ctx context.Context, db *sql.DB) ([]byte, error) {
	var v []byte
	err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'secret_key_check'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: secret key check: %w", err)
	}
	return v, nil
}
