package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/password"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/trigger"
)

// loginLog is the login entry (s, f, fp, fu) a password grant writes
// besides its exchange entry: a password grant is a login.
type loginLog struct {
	typ         string
	description string
}

// DefaultPasswordScope is the scope of a password grant that asks for none,
// as Auth0 applies it.
const DefaultPasswordScope = "openid profile email address phone"

// idTokenLifetime is Auth0's default id_token lifetime (seconds).
const idTokenLifetime = 36000

// oidcScopes are the scopes a user token carries whatever the API defines.
// offline_access is left out until refresh tokens exist.
var oidcScopes = []string{"openid", "profile", "email", "address", "phone"}

// errWrongPassword is Auth0's answer to an unknown user and a wrong
// password alike.
func errWrongPassword() *tokenError {
	return &tokenError{Status: http.StatusForbidden, Code: "invalid_grant", Description: "Wrong email or password."}
}

// password serves the resource owner password grant and Auth0's
// password-realm extension: the user is looked up by email or username in
// the realm's database connection (the default connection for plain
// password).
func (h *Handler) password(ctx context.Context, ex *exchange) (*tokenResponse, *tokenError) {
	req, client := ex.req, ex.client
	if req.Username == "" {
		return nil, missingParam("username")
	}
	if req.Password == "" {
		return nil, missingParam("password")
	}
	connName := keyhook.DefaultDatabaseConnection
	if req.GrantType == GrantPasswordRealm {
		if req.Realm == "" {
			return nil, missingParam("realm")
		}
		connName = req.Realm
	}
	conn, err := h.Store.ConnectionGetByName(ctx, connName)
	if errors.Is(err, store.ErrNotFound) || (err == nil && conn.Strategy != "auth0") {
		return nil, &tokenError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "connection not found: " + connName}
	}
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: load connection", "connection", connName, "err", err)
		return nil, serverError()
	}
	ex.log.Connection, ex.log.ConnectionID = conn.Name, conn.ID
	ex.log.Strategy, ex.log.StrategyType = "auth0", "database"
	ex.log.UserName = req.Username

	var rs *keyhook.ResourceServer
	if req.Audience != "" {
		var terr *tokenError
		if rs, terr = h.resourceServer(ctx, ex, req.Audience); terr != nil {
			return nil, terr
		}
	}
	scope := h.userScope(req, rs)
	ex.log.Scope = strings.Join(scope, " ")
	var idClaims, accessClaims map[string]any

	user, terr := h.checkPassword(ctx, ex, conn.Name, req.Username, req.Password)
	if terr != nil {
		return nil, terr
	}
	ex.log.UserID = user.ID
	if user.Blocked {
		ex.login = &loginLog{typ: keyhook.LogFailedLogin, description: "user is blocked"}
		return nil, &tokenError{Status: http.StatusUnauthorized, Code: "unauthorized", Description: "user is blocked"}
	}

	// The post-login flow: this login counts in event.stats.logins_count,
	// as it does in Auth0's.
	if h.Triggers != nil {
		in := *user
		in.LoginsCount++
		res, err := h.Triggers.PostLogin(ctx, trigger.PostLogin{
			User: &in, Client: client, Connection: conn, Protocol: "oauth2-password",
			Audience: req.Audience, Auth0API: rs != nil && h.isManagementAPI(rs),
			Scope: scope, RequestedScopes: strings.Fields(req.Scope), Request: ex.request(), Config: ex.view,
		})
		ex.actions = res.Actions
		if d, ok := trigger.IsDeny(err); ok {
			ex.login = &loginLog{typ: keyhook.LogFailedLogin, description: d.Message}
			desc := d.UserMessage
			if d.Failure || desc == "" {
				desc = "Access denied by an action of the login flow."
			}
			return nil, &tokenError{Status: http.StatusForbidden, Code: "access_denied", Description: desc}
		}
		if err != nil {
			h.logger().ErrorContext(ctx, "oauth: post-login", "user_id", user.ID, "err", err)
			return nil, serverError()
		}
		if res.User != &in {
			user = res.User
		}
		scope, idClaims, accessClaims = res.Scope, res.IDTokenClaims, res.AccessTokenClaims
		ex.log.Scope = strings.Join(scope, " ")
	}

	iat := ex.now.Unix()
	userinfo := h.Issuer + "userinfo"
	openid := slices.Contains(scope, "openid")
	lifetime := tokenLifetime(rs)
	claims := map[string]any{
		"iss": h.Issuer,
		"sub": user.ID,
		"iat": iat,
		"exp": iat + int64(lifetime),
		"gty": "password",
		"azp": client.ClientID,
	}
	switch {
	case rs == nil:
		claims["aud"] = userinfo
	case openid:
		claims["aud"] = []string{rs.Identifier, userinfo}
	default:
		claims["aud"] = rs.Identifier
	}
	if len(scope) > 0 {
		claims["scope"] = ex.log.Scope
	}
	addCustomClaims(claims, accessClaims)
	access, terr := h.sign(ctx, claims)
	if terr != nil {
		return nil, terr
	}
	resp := &tokenResponse{AccessToken: access, Scope: ex.log.Scope, ExpiresIn: lifetime, TokenType: "Bearer"}
	if openid {
		idc := idTokenClaims(h.Issuer, client.ClientID, user, scope, iat)
		addCustomClaims(idc, idClaims)
		if resp.IDToken, terr = h.sign(ctx, idc); terr != nil {
			return nil, terr
		}
	}
	h.recordLogin(ctx, user.ID, ex.ip, ex.now)
	ex.login = &loginLog{typ: keyhook.LogSuccessLogin}
	ex.log.Description = "Password for Access Token"
	return resp, nil
}

// checkPassword finds the user by email (when the name has an '@') or
// username and verifies the password, under the attack protection of
// bruteforce.go. An unknown user costs one argon2id verification too, so
// response times do not tell which users exist.
func (h *Handler) checkPassword(ctx context.Context, ex *exchange, connection, username, pw string) (*keyhook.User, *tokenError) {
	if terr := h.throttleIP(ex); terr != nil {
		return nil, terr
	}
	var user *keyhook.User
	var err error
	if strings.Contains(username, "@") {
		user, err = h.Store.UserGetByEmail(ctx, connection, username)
	}
	if user == nil && (err == nil || errors.Is(err, store.ErrNotFound)) {
		user, err = h.Store.UserGetByUsername(ctx, connection, username)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.PasswordHash == "") {
		_ = password.Verify(pw, dummyHash())
		ex.login = &loginLog{typ: keyhook.LogInvalidUser, description: "Wrong email or password."}
		return nil, h.loginFailed(ctx, ex, nil, nil)
	}
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: load user", "connection", connection, "err", err)
		return nil, serverError()
	}
	guard, terr := h.guardLogin(ctx, ex, user, connection, username)
	if terr != nil {
		return nil, terr
	}
	if err := password.Verify(pw, user.PasswordHash); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			h.logger().ErrorContext(ctx, "oauth: verify password", "user_id", user.ID, "err", err)
		}
		ex.log.UserID = user.ID
		ex.login = &loginLog{typ: keyhook.LogWrongPassword, description: "Wrong email or password."}
		return nil, h.loginFailed(ctx, ex, guard, user)
	}
	guard.succeeded(ctx, user)
	return user, nil
}

// dummyHash is a hash of a random password with the default parameters,
// made once, to spend the same work on unknown users as on known ones.
var dummyHash = sync.OnceValue(func() string {
	h, err := password.Hash(keyhook.RandomString(32), password.DefaultParams)
	if err != nil {
		return ""
	}
	return h
})

// recordLogin updates last_login, logins_count and last_ip, the count
// incremented by the database so concurrent logins all count. A failure is
// logged, not returned: the user did log in and holds the tokens.
func (h *Handler) recordLogin(ctx context.Context, userID, ip string, now time.Time) {
	err := h.Store.UserRecordLogin(ctx, store.UserRecordLoginParams{UserID: userID, At: now, IP: ip})
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: record login", "user_id", userID, "err", err)
	}
}

// idTokenClaims are the OIDC claims of the user the scopes ask for.
func idTokenClaims(issuer, clientID string, u *keyhook.User, scope []string, iat int64) map[string]any {
	c := map[string]any{
		"iss": issuer,
		"sub": u.ID,
		"aud": clientID,
		"iat": iat,
		"exp": iat + idTokenLifetime,
	}
	set := func(k, v string) {
		if v != "" {
			c[k] = v
		}
	}
	if slices.Contains(scope, "profile") {
		name, nickname := u.Name, u.Nickname
		if name == "" {
			name = u.Email
		}
		if nickname == "" {
			nickname, _, _ = strings.Cut(u.Email, "@")
		}
		set("name", name)
		set("nickname", nickname)
		set("given_name", u.GivenName)
		set("family_name", u.FamilyName)
		set("picture", u.Picture)
		if !u.UpdatedAt.IsZero() {
			c["updated_at"] = u.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
		}
	}
	if slices.Contains(scope, "email") && u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = u.EmailVerified
	}
	if slices.Contains(scope, "phone") && u.PhoneNumber != "" {
		c["phone_number"] = u.PhoneNumber
		c["phone_number_verified"] = u.PhoneVerified
	}
	return c
}
