package mgmtapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/password"
	"github.com/keyhook/keyhook/store"
)

// checkPassword applies conn's password policy to a new password. A weak
// one is Auth0's 400 "PasswordStrengthError: Password is too weak", audited
// as a failed password change (fcp).
func (h *Handler) checkPassword(r *http.Request, conn *keyhook.Connection, pw string) error {
	if conn.Strategy == "email" || conn.Strategy == "sms" {
		return badBody("Passwordless users cannot have a password")
	}
	policy, err := password.NewPolicy(conn.PasswordPolicy, conn.PasswordMinLength)
	if err != nil {
		return fmt.Errorf("password policy of connection %s: %w", conn.Name, err)
	}
	if serr := policy.Check(pw); serr != nil {
		h.logFailedPasswordChange(r, "PasswordStrengthError: "+serr.Error())
		return newError(http.StatusBadRequest, "", "PasswordStrengthError: %s", serr.Error())
	}
	return nil
}

// userConnection is the connection of an existing user (404 if the user
// does not exist).
func (h *Handler) userConnection(ctx context.Context, userID string) (*keyhook.Connection, error) {
	u, err := h.Store.UserGetByID(ctx, userID)
	if err != nil {
		return nil, notFoundAs(err, errUserNotFound)
	}
	conn, err := h.Store.ConnectionGetByName(ctx, u.Connection)
	if err != nil {
		return nil, fmt.Errorf("get connection: %w", err)
	}
	return conn, nil
}

// clearLoginFailures lifts the user's brute-force blocks in the transaction
// that changes the password, as a password change does in Auth0.
func clearLoginFailures(ctx context.Context, tx store.Tx, userID string) error {
	if _, err := tx.LoginFailureDelete(ctx, store.LoginFailureDeleteParams{UserID: userID}); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}
