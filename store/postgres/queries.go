package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// dbtx is what *pgxpool.Pool and pgx.Tx share.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// queries implements store.Querier over the pool (DB) or one transaction
// (tx).
type queries struct {
	q      dbtx
	sealer store.Sealer
	// begin runs fn in a new transaction; nil when q already is one.
	begin func(ctx context.Context, fn func(q *queries) error) error
}

// inTx runs fn on queries bound to a transaction: q itself inside InTx, a
// new one otherwise. Updates read their row FOR UPDATE in it, so a second
// updater waits for the first to commit and then reads its result.
func (q *queries) inTx(ctx context.Context, fn func(q *queries) error) error {
	if q.begin == nil {
		return fn(q)
	}
	return q.begin(ctx, fn)
}

// scanner is what pgx.Row and pgx.Rows share.
type scanner interface{ Scan(dest ...any) error }

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

// touch is stamp for updates: an update time left as read (or zero)
// becomes now.
func touch(updated *time.Time, read time.Time) {
	if updated.IsZero() || updated.Equal(read) {
		*updated = time.Now()
	}
	*updated = normTime(*updated)
}

// fnErr wraps the error of an update callback.
func fnErr(op string, err error) error { return fmt.Errorf("postgres: %s: %w", op, err) }

func requireID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("postgres: %s id is empty", kind)
	}
	return nil
}

// count runs a count(*) query.
func (q *queries) count(ctx context.Context, op, query string, args ...any) (int, error) {
	var n int
	if err := q.q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, dbErr(op, err)
	}
	return n, nil
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
	_, err := q.q.Exec(ctx, `INSERT INTO connections (id, name, strategy, password_policy, password_min_length, created_at)
    VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.Name, c.Strategy, c.PasswordPolicy, c.PasswordMinLength, normTime(c.CreatedAt))
	return dbErr("create connection", err)
}

const connectionCols = `id, name, strategy, password_policy, password_min_length, created_at`

func scanConnection(s scanner) (*keyhook.Connection, error) {
	var c keyhook.Connection
	if err := s.Scan(&c.ID, &c.Name, &c.Strategy, &c.PasswordPolicy, &c.PasswordMinLength, timeCol{&c.CreatedAt}); err != nil {
		return nil, err
	}
	return &c, nil
}

func (q *queries) ConnectionGetByName(ctx context.Context, name string) (*keyhook.Connection, error) {
	c, err := scanConnection(q.q.QueryRow(ctx, `SELECT `+connectionCols+` FROM connections WHERE name = $1`, name))
	if err != nil {
		return nil, dbErr("get connection", err)
	}
	return c, nil
}

func (q *queries) ConnectionList(ctx context.Context) ([]keyhook.Connection, error) {
	rows, err := q.q.Query(ctx, `SELECT `+connectionCols+` FROM connections ORDER BY created_at, name`)
	if err != nil {
		return nil, dbErr("list connections", err)
	}
	defer rows.Close()
	out := []keyhook.Connection{}
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, dbErr("list connections", err)
		}
		out = append(out, *c)
	}
	return out, dbErr("list connections", rows.Err())
}

// ---- users ----

const userCols = `user_id, connection, email, email_verified, username, phone_number, phone_verified,
    given_name, family_name, name, nickname, picture, user_metadata, app_metadata, password_hash,
    blocked, last_ip, logins_count, created_at, updated_at, last_login, last_password_reset`

func scanUser(s scanner) (*keyhook.User, error) {
	var u keyhook.User
	err := s.Scan(&u.ID, &u.Connection, &u.Email, &u.EmailVerified, &u.Username, &u.PhoneNumber, &u.PhoneVerified,
		&u.GivenName, &u.FamilyName, &u.Name, &u.Nickname, &u.Picture, jsonCol{&u.UserMetadata}, jsonCol{&u.AppMetadata},
		&u.PasswordHash, &u.Blocked, &u.LastIP, &u.LoginsCount, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt},
		nullTimeCol{&u.LastLogin}, nullTimeCol{&u.LastPasswordReset})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// emailKey is the case-folded email the uniqueness rule and lookups use.
func emailKey(email string) string { return strings.ToLower(email) }

func (q *queries) UserCreate(ctx context.Context, u *keyhook.User) error {
	if err := requireID("user", u.ID); err != nil {
		return err
	}
	stamp(&u.CreatedAt, &u.UpdatedAt)
	u.LastLogin, u.LastPasswordReset = normNullTime(u.LastLogin), normNullTime(u.LastPasswordReset)
	var j jsonArgs
	args := []any{u.ID, u.Connection, u.Email, emailKey(u.Email), u.EmailVerified, u.Username, u.PhoneNumber,
		u.PhoneVerified, u.GivenName, u.FamilyName, u.Name, u.Nickname, u.Picture,
		j.encode(u.UserMetadata, "{}"), j.encode(u.AppMetadata, "{}"), u.PasswordHash, u.Blocked, u.LastIP,
		u.LoginsCount, normTime(u.CreatedAt), normTime(u.UpdatedAt), normNullTime(u.LastLogin),
		normNullTime(u.LastPasswordReset)}
	if j.err != nil {
		return fmt.Errorf("postgres: create user: %w", j.err)
	}
	_, err := q.q.Exec(ctx, `INSERT INTO users (user_id, connection, email, email_key, email_verified,
    username, phone_number, phone_verified, given_name, family_name, name, nickname, picture, user_metadata,
    app_metadata, password_hash, blocked, last_ip, logins_count, created_at, updated_at, last_login,
    last_password_reset) VALUES (`+placeholders(23)+`)`, args...)
	return dbErr("create user", err)
}

// The lookups by email and username repeat the partial indexes' predicate
// (email_key <> ”, username <> ”): a prepared statement's generic plan
// cannot infer it from a parameter, and without it the planner may not use
// the index. postgres_test.go checks their plans.
const (
	userByIDSQL          = `SELECT ` + userCols + ` FROM users WHERE user_id = $1`
	userByIDForUpdateSQL = userByIDSQL + ` FOR UPDATE`
	userByEmailSQL       = `SELECT ` + userCols + ` FROM users WHERE email_key = $1 AND email_key <> '' AND connection = $2`
	userByUsernameSQL    = `SELECT ` + userCols + ` FROM users WHERE connection = $1 AND username = $2 AND username <> ''`
)

func (q *queries) userGet(ctx context.Context, query string, args ...any) (*keyhook.User, error) {
	u, err := scanUser(q.q.QueryRow(ctx, query, args...))
	if err != nil {
		return nil, dbErr("get user", err)
	}
	return u, nil
}

func (q *queries) UserGetByID(ctx context.Context, id string) (*keyhook.User, error) {
	return q.userGet(ctx, userByIDSQL, id)
}

func (q *queries) UserGetByEmail(ctx context.Context, connection, email string) (*keyhook.User, error) {
	if email == "" {
		return nil, fmt.Errorf("postgres: get user: empty email: %w", store.ErrNotFound)
	}
	return q.userGet(ctx, userByEmailSQL, emailKey(email), connection)
}

func (q *queries) UserGetByUsername(ctx context.Context, connection, username string) (*keyhook.User, error) {
	if username == "" {
		return nil, fmt.Errorf("postgres: get user: empty username: %w", store.ErrNotFound)
	}
	return q.userGet(ctx, userByUsernameSQL, connection, username)
}

// userSortColumns whitelists UserListParams.Sort.
var userSortColumns = map[string]string{
	"created_at":   "created_at",
	"updated_at":   "updated_at",
	"email":        "email",
	"last_login":   "last_login",
	"user_id":      "user_id",
	"logins_count": "logins_count",
	"name":         "name",
}

// userListSQL returns UserList's count query with its arguments and page
// query with its own (the count's followed by LIMIT and OFFSET).
func userListSQL(p store.UserListParams) (count string, countArgs []any, page string, pageArgs []any, err error) {
	sortKey := p.Sort
	if sortKey == "" {
		sortKey = "created_at"
	}
	col, ok := userSortColumns[sortKey]
	if !ok {
		return "", nil, "", nil, fmt.Errorf("postgres: list users: cannot sort by %q", p.Sort)
	}
	dir := "ASC"
	if p.SortDesc {
		dir = "DESC"
	}
	var w where
	if p.Email != "" {
		// The predicate of the partial index, as in userByEmailSQL.
		w.add("email_key = " + w.arg(emailKey(p.Email)) + " AND email_key <> ''")
	}
	if p.Connection != "" {
		w.add("connection = " + w.arg(p.Connection))
	}
	count, countArgs = `SELECT count(*) FROM users`+w.String(), slices.Clone(w.args)
	page = fmt.Sprintf(`SELECT %s FROM users%s ORDER BY %s %s NULLS LAST, user_id %s%s`,
		userCols, w.String(), col, dir, dir, w.page(p.PageParams))
	return count, countArgs, page, w.args, nil
}

func (q *queries) UserList(ctx context.Context, p store.UserListParams) ([]keyhook.User, int, error) {
	countSQL, countArgs, pageSQL, pageArgs, err := userListSQL(p)
	if err != nil {
		return nil, 0, err
	}
	total, err := q.count(ctx, "list users", countSQL, countArgs...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := q.q.Query(ctx, pageSQL, pageArgs...)
	if err != nil {
		return nil, 0, dbErr("list users", err)
	}
	defer rows.Close()
	out := []keyhook.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, dbErr("list users", err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, dbErr("list users", err)
	}
	return out, total, nil
}

func (q *queries) UserUpdate(ctx context.Context, id string, fn func(u *keyhook.User) error) (*keyhook.User, error) {
	var u *keyhook.User
	err := q.inTx(ctx, func(q *queries) error {
		var err error
		if u, err = q.userGet(ctx, userByIDForUpdateSQL, id); err != nil {
			return err
		}
		created, updated := u.CreatedAt, u.UpdatedAt
		if err := fn(u); err != nil {
			return fnErr("update user", err)
		}
		u.ID, u.CreatedAt = id, created
		touch(&u.UpdatedAt, updated)
		if err := q.userPut(ctx, u); err != nil {
			return err
		}
		u, err = q.UserGetByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// userPut writes every column of u but the id and creation time.
func (q *queries) userPut(ctx context.Context, u *keyhook.User) error {
	u.LastLogin, u.LastPasswordReset = normNullTime(u.LastLogin), normNullTime(u.LastPasswordReset)
	var j jsonArgs
	args := []any{u.Connection, u.Email, emailKey(u.Email), u.EmailVerified, u.Username, u.PhoneNumber,
		u.PhoneVerified, u.GivenName, u.FamilyName, u.Name, u.Nickname, u.Picture,
		j.encode(u.UserMetadata, "{}"), j.encode(u.AppMetadata, "{}"), u.PasswordHash, u.Blocked, u.LastIP,
		u.LoginsCount, normTime(u.UpdatedAt), normNullTime(u.LastLogin), normNullTime(u.LastPasswordReset), u.ID}
	if j.err != nil {
		return fmt.Errorf("postgres: update user: %w", j.err)
	}
	res, err := q.q.Exec(ctx, `UPDATE users SET connection = $1, email = $2, email_key = $3,
    email_verified = $4, username = $5, phone_number = $6, phone_verified = $7, given_name = $8, family_name = $9,
    name = $10, nickname = $11, picture = $12, user_metadata = $13, app_metadata = $14, password_hash = $15, blocked = $16,
    last_ip = $17, logins_count = $18, updated_at = $19, last_login = $20, last_password_reset = $21
    WHERE user_id = $22`, args...)
	return mustAffect("update user", res, err)
}

func (q *queries) UserRecordLogin(ctx context.Context, p store.UserRecordLoginParams) error {
	res, err := q.q.Exec(ctx, `UPDATE users SET logins_count = logins_count + 1, last_login = $1, last_ip = $2
    WHERE user_id = $3`, normTime(p.At), p.IP, p.UserID)
	return mustAffect("record login", res, err)
}

func (q *queries) UserDelete(ctx context.Context, id string) error {
	res, err := q.q.Exec(ctx, `DELETE FROM users WHERE user_id = $1`, id)
	return mustAffect("delete user", res, err)
}

// ---- clients ----

const clientCols = `client_id, secret_hash, name, description, app_type, is_first_party, oidc_conformant,
    grant_types, callbacks, allowed_origins, web_origins, allowed_logout_urls, token_endpoint_auth_method,
    client_metadata, extra, global, created_at, updated_at`

func scanClient(s scanner) (*keyhook.Client, error) {
	var c keyhook.Client
	err := s.Scan(&c.ClientID, &c.SecretHash, &c.Name, &c.Description, &c.AppType, &c.IsFirstParty,
		&c.OIDCConformant, jsonCol{&c.GrantTypes}, jsonCol{&c.Callbacks}, jsonCol{&c.AllowedOrigins},
		jsonCol{&c.WebOrigins}, jsonCol{&c.AllowedLogoutURLs}, &c.TokenEndpointAuthMethod,
		jsonCol{&c.ClientMetadata}, jsonCol{&c.Extra}, &c.Global, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if err := compactRaw(c.Extra); err != nil {
		return nil, err
	}
	return &c, nil
}

// clientArgs are the client's columns after client_id, in clientCols order,
// without the times.
func clientArgs(c *keyhook.Client) ([]any, error) {
	var j jsonArgs
	args := []any{c.SecretHash, c.Name, c.Description, c.AppType, c.IsFirstParty, c.OIDCConformant,
		j.encode(c.GrantTypes, "[]"), j.encode(c.Callbacks, "[]"), j.encode(c.AllowedOrigins, "[]"),
		j.encode(c.WebOrigins, "[]"), j.encode(c.AllowedLogoutURLs, "[]"), c.TokenEndpointAuthMethod,
		j.encode(c.ClientMetadata, "{}"), j.encode(c.Extra, "{}"), c.Global}
	return args, j.err
}

func (q *queries) ClientCreate(ctx context.Context, c *keyhook.Client) error {
	if err := requireID("client", c.ClientID); err != nil {
		return err
	}
	stamp(&c.CreatedAt, &c.UpdatedAt)
	args, err := clientArgs(c)
	if err != nil {
		return fmt.Errorf("postgres: create client: %w", err)
	}
	args = append([]any{c.ClientID}, args...)
	args = append(args, normTime(c.CreatedAt), normTime(c.UpdatedAt))
	_, err = q.q.Exec(ctx, `INSERT INTO clients (`+clientCols+`) VALUES (`+placeholders(18)+`)`, args...)
	return dbErr("create client", err)
}

func (q *queries) ClientGet(ctx context.Context, clientID string) (*keyhook.Client, error) {
	return q.clientGet(ctx, ``, clientID)
}

// clientGet reads a client; lock is “ or ` FOR UPDATE`.
func (q *queries) clientGet(ctx context.Context, lock, clientID string) (*keyhook.Client, error) {
	c, err := scanClient(q.q.QueryRow(ctx, `SELECT `+clientCols+` FROM clients WHERE client_id = $1`+lock, clientID))
	if err != nil {
		return nil, dbErr("get client", err)
	}
	return c, nil
}

const forUpdate = ` FOR UPDATE`

func (q *queries) ClientList(ctx context.Context, p store.PageParams) ([]keyhook.Client, int, error) {
	total, err := q.count(ctx, "list clients", `SELECT count(*) FROM clients`)
	if err != nil {
		return nil, 0, err
	}
	var w where
	rows, err := q.q.Query(ctx, `SELECT `+clientCols+` FROM clients ORDER BY created_at, client_id`+w.page(p), w.args...)
	if err != nil {
		return nil, 0, dbErr("list clients", err)
	}
	defer rows.Close()
	out := []keyhook.Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, 0, dbErr("list clients", err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, dbErr("list clients", err)
	}
	return out, total, nil
}

func (q *queries) ClientUpdate(ctx context.Context, clientID string, fn func(c *keyhook.Client) error) (*keyhook.Client, error) {
	var c *keyhook.Client
	err := q.inTx(ctx, func(q *queries) error {
		var err error
		if c, err = q.clientGet(ctx, forUpdate, clientID); err != nil {
			return err
		}
		created, updated := c.CreatedAt, c.UpdatedAt
		if err := fn(c); err != nil {
			return fnErr("update client", err)
		}
		c.ClientID, c.CreatedAt = clientID, created
		touch(&c.UpdatedAt, updated)
		if err := q.clientPut(ctx, c); err != nil {
			return err
		}
		c, err = q.ClientGet(ctx, clientID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (q *queries) clientPut(ctx context.Context, c *keyhook.Client) error {
	args, err := clientArgs(c)
	if err != nil {
		return fmt.Errorf("postgres: update client: %w", err)
	}
	args = append(args, normTime(c.UpdatedAt), c.ClientID)
	res, err := q.q.Exec(ctx, `UPDATE clients SET secret_hash = $1, name = $2, description = $3, app_type = $4,
    is_first_party = $5, oidc_conformant = $6, grant_types = $7, callbacks = $8, allowed_origins = $9, web_origins = $10,
    allowed_logout_urls = $11, token_endpoint_auth_method = $12, client_metadata = $13, extra = $14, global = $15,
    updated_at = $16 WHERE client_id = $17`, args...)
	return mustAffect("update client", res, err)
}

func (q *queries) ClientDelete(ctx context.Context, clientID string) error {
	res, err := q.q.Exec(ctx, `DELETE FROM clients WHERE client_id = $1`, clientID)
	return mustAffect("delete client", res, err)
}

// ---- resource servers ----

const resourceServerCols = `id, identifier, name, scopes, signing_alg, token_lifetime, token_lifetime_for_web,
    allow_offline_access, skip_consent, token_dialect, enforce_policies, is_system, created_at, updated_at`

func scanResourceServer(s scanner) (*keyhook.ResourceServer, error) {
	var rs keyhook.ResourceServer
	err := s.Scan(&rs.ID, &rs.Identifier, &rs.Name, jsonCol{&rs.Scopes}, &rs.SigningAlg, &rs.TokenLifetime,
		&rs.TokenLifetimeForWeb, &rs.AllowOfflineAccess, &rs.SkipConsent, &rs.TokenDialect, &rs.EnforcePolicies,
		&rs.IsSystem, timeCol{&rs.CreatedAt}, timeCol{&rs.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &rs, nil
}

func resourceServerArgs(rs *keyhook.ResourceServer) ([]any, error) {
	var j jsonArgs
	args := []any{rs.Identifier, rs.Name, j.encode(rs.Scopes, "[]"), rs.SigningAlg, rs.TokenLifetime,
		rs.TokenLifetimeForWeb, rs.AllowOfflineAccess, rs.SkipConsent, rs.TokenDialect, rs.EnforcePolicies, rs.IsSystem}
	return args, j.err
}

func (q *queries) ResourceServerCreate(ctx context.Context, rs *keyhook.ResourceServer) error {
	if err := requireID("resource server", rs.ID); err != nil {
		return err
	}
	stamp(&rs.CreatedAt, &rs.UpdatedAt)
	args, err := resourceServerArgs(rs)
	if err != nil {
		return fmt.Errorf("postgres: create resource server: %w", err)
	}
	args = append([]any{rs.ID}, args...)
	args = append(args, normTime(rs.CreatedAt), normTime(rs.UpdatedAt))
	_, err = q.q.Exec(ctx, `INSERT INTO resource_servers (`+resourceServerCols+`) VALUES (`+placeholders(14)+`)`, args...)
	return dbErr("create resource server", err)
}

func (q *queries) resourceServerGet(ctx context.Context, cond string, arg any) (*keyhook.ResourceServer, error) {
	rs, err := scanResourceServer(q.q.QueryRow(ctx, `SELECT `+resourceServerCols+` FROM resource_servers WHERE `+cond, arg))
	if err != nil {
		return nil, dbErr("get resource server", err)
	}
	return rs, nil
}

func (q *queries) ResourceServerGet(ctx context.Context, id string) (*keyhook.ResourceServer, error) {
	return q.resourceServerGet(ctx, `id = $1`, id)
}

func (q *queries) ResourceServerGetByIdentifier(ctx context.Context, identifier string) (*keyhook.ResourceServer, error) {
	return q.resourceServerGet(ctx, `identifier = $1`, identifier)
}

func (q *queries) ResourceServerList(ctx context.Context, p store.ResourceServerListParams) ([]keyhook.ResourceServer, int, error) {
	var w where
	if len(p.Identifiers) > 0 {
		w.add("identifier = ANY(" + w.arg(p.Identifiers) + ")")
	}
	total, err := q.count(ctx, "list resource servers", `SELECT count(*) FROM resource_servers`+w.String(), w.args...)
	if err != nil {
		return nil, 0, err
	}
	conds := w.String()
	rows, err := q.q.Query(ctx, `SELECT `+resourceServerCols+` FROM resource_servers`+conds+
		` ORDER BY created_at, id`+w.page(p.PageParams), w.args...)
	if err != nil {
		return nil, 0, dbErr("list resource servers", err)
	}
	defer rows.Close()
	out := []keyhook.ResourceServer{}
	for rows.Next() {
		rs, err := scanResourceServer(rows)
		if err != nil {
			return nil, 0, dbErr("list resource servers", err)
		}
		out = append(out, *rs)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, dbErr("list resource servers", err)
	}
	return out, total, nil
}

func (q *queries) ResourceServerUpdate(ctx context.Context, id string, fn func(rs *keyhook.ResourceServer) error) (*keyhook.ResourceServer, error) {
	var rs *keyhook.ResourceServer
	err := q.inTx(ctx, func(q *queries) error {
		var err error
		if rs, err = q.resourceServerGet(ctx, `id = $1`+forUpdate, id); err != nil {
			return err
		}
		created, updated := rs.CreatedAt, rs.UpdatedAt
		if err := fn(rs); err != nil {
			return fnErr("update resource server", err)
		}
		rs.ID, rs.CreatedAt = id, created
		touch(&rs.UpdatedAt, updated)
		if err := q.resourceServerPut(ctx, rs); err != nil {
			return err
		}
		rs, err = q.ResourceServerGet(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rs, nil
}

func (q *queries) resourceServerPut(ctx context.Context, rs *keyhook.ResourceServer) error {
	args, err := resourceServerArgs(rs)
	if err != nil {
		return fmt.Errorf("postgres: update resource server: %w", err)
	}
	args = append(args, normTime(rs.UpdatedAt), rs.ID)
	res, err := q.q.Exec(ctx, `UPDATE resource_servers SET identifier = $1, name = $2, scopes = $3,
    signing_alg = $4, token_lifetime = $5, token_lifetime_for_web = $6, allow_offline_access = $7, skip_consent = $8,
    token_dialect = $9, enforce_policies = $10, is_system = $11, updated_at = $12 WHERE id = $13`, args...)
	return mustAffect("update resource server", res, err)
}

func (q *queries) ResourceServerDelete(ctx context.Context, id string) error {
	res, err := q.q.Exec(ctx, `DELETE FROM resource_servers WHERE id = $1`, id)
	return mustAffect("delete resource server", res, err)
}

// ---- client grants ----

const clientGrantCols = `id, client_id, audience, scope, allow_any_organization, organization_usage,
    subject_type, is_system, created_at, updated_at`

func scanClientGrant(s scanner) (*keyhook.ClientGrant, error) {
	var g keyhook.ClientGrant
	err := s.Scan(&g.ID, &g.ClientID, &g.Audience, jsonCol{&g.Scope}, &g.AllowAnyOrganization,
		&g.OrganizationUsage, &g.SubjectType, &g.IsSystem, timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

func (q *queries) ClientGrantCreate(ctx context.Context, g *keyhook.ClientGrant) error {
	if err := requireID("client grant", g.ID); err != nil {
		return err
	}
	stamp(&g.CreatedAt, &g.UpdatedAt)
	var j jsonArgs
	scope := j.encode(g.Scope, "[]")
	if j.err != nil {
		return fmt.Errorf("postgres: create client grant: %w", j.err)
	}
	_, err := q.q.Exec(ctx, `INSERT INTO client_grants (`+clientGrantCols+`) VALUES (`+placeholders(10)+`)`,
		g.ID, g.ClientID, g.Audience, scope, g.AllowAnyOrganization, g.OrganizationUsage, g.SubjectType, g.IsSystem,
		normTime(g.CreatedAt), normTime(g.UpdatedAt))
	return dbErr("create client grant", err)
}

func (q *queries) ClientGrantGet(ctx context.Context, id string) (*keyhook.ClientGrant, error) {
	return q.clientGrantGet(ctx, ``, id)
}

// clientGrantGet reads a client grant; lock is “ or forUpdate.
func (q *queries) clientGrantGet(ctx context.Context, lock, id string) (*keyhook.ClientGrant, error) {
	g, err := scanClientGrant(q.q.QueryRow(ctx, `SELECT `+clientGrantCols+` FROM client_grants WHERE id = $1`+lock, id))
	if err != nil {
		return nil, dbErr("get client grant", err)
	}
	return g, nil
}

func (q *queries) ClientGrantFind(ctx context.Context, clientID, audience string) (*keyhook.ClientGrant, error) {
	g, err := scanClientGrant(q.q.QueryRow(ctx, `SELECT `+clientGrantCols+` FROM client_grants
    WHERE client_id = $1 AND audience = $2`, clientID, audience))
	if err != nil {
		return nil, dbErr("find client grant", err)
	}
	return g, nil
}

func (q *queries) ClientGrantList(ctx context.Context, p store.ClientGrantListParams) ([]keyhook.ClientGrant, int, error) {
	var w where
	if p.ClientID != "" {
		w.add("client_id = " + w.arg(p.ClientID))
	}
	if p.Audience != "" {
		w.add("audience = " + w.arg(p.Audience))
	}
	total, err := q.count(ctx, "list client grants", `SELECT count(*) FROM client_grants`+w.String(), w.args...)
	if err != nil {
		return nil, 0, err
	}
	conds := w.String()
	rows, err := q.q.Query(ctx, `SELECT `+clientGrantCols+` FROM client_grants`+conds+
		` ORDER BY created_at, id`+w.page(p.PageParams), w.args...)
	if err != nil {
		return nil, 0, dbErr("list client grants", err)
	}
	defer rows.Close()
	out := []keyhook.ClientGrant{}
	for rows.Next() {
		g, err := scanClientGrant(rows)
		if err != nil {
			return nil, 0, dbErr("list client grants", err)
		}
		out = append(out, *g)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, dbErr("list client grants", err)
	}
	return out, total, nil
}

func (q *queries) ClientGrantUpdate(ctx context.Context, id string, fn func(g *keyhook.ClientGrant) error) (*keyhook.ClientGrant, error) {
	var g *keyhook.ClientGrant
	err := q.inTx(ctx, func(q *queries) error {
		var err error
		if g, err = q.clientGrantGet(ctx, forUpdate, id); err != nil {
			return err
		}
		created, updated := g.CreatedAt, g.UpdatedAt
		if err := fn(g); err != nil {
			return fnErr("update client grant", err)
		}
		g.ID, g.CreatedAt = id, created
		touch(&g.UpdatedAt, updated)
		if err := q.clientGrantPut(ctx, g); err != nil {
			return err
		}
		g, err = q.ClientGrantGet(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (q *queries) clientGrantPut(ctx context.Context, g *keyhook.ClientGrant) error {
	var j jsonArgs
	scope := j.encode(g.Scope, "[]")
	if j.err != nil {
		return fmt.Errorf("postgres: update client grant: %w", j.err)
	}
	res, err := q.q.Exec(ctx, `UPDATE client_grants SET client_id = $1, audience = $2, scope = $3,
    allow_any_organization = $4, organization_usage = $5, subject_type = $6, is_system = $7, updated_at = $8
    WHERE id = $9`, g.ClientID, g.Audience, scope, g.AllowAnyOrganization, g.OrganizationUsage, g.SubjectType,
		g.IsSystem, normTime(g.UpdatedAt), g.ID)
	return mustAffect("update client grant", res, err)
}

func (q *queries) ClientGrantDelete(ctx context.Context, id string) error {
	res, err := q.q.Exec(ctx, `DELETE FROM client_grants WHERE id = $1`, id)
	return mustAffect("delete client grant", res, err)
}

// ---- hooks ----

const hookCols = `id, name, script, trigger_id, enabled, dependencies, created_at, updated_at`

func scanHook(s scanner) (*keyhook.Hook, error) {
	var h keyhook.Hook
	err := s.Scan(&h.ID, &h.Name, &h.Script, &h.TriggerID, &h.Enabled, jsonCol{&h.Dependencies},
		timeCol{&h.CreatedAt}, timeCol{&h.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

func (q *queries) HookCreate(ctx context.Context, h *keyhook.Hook) error {
	if err := requireID("hook", h.ID); err != nil {
		return err
	}
	stamp(&h.CreatedAt, &h.UpdatedAt)
	var j jsonArgs
	deps := j.encode(h.Dependencies, "{}")
	if j.err != nil {
		return fmt.Errorf("postgres: create hook: %w", j.err)
	}
	_, err := q.q.Exec(ctx, `INSERT INTO hooks (`+hookCols+`) VALUES (`+placeholders(8)+`)`,
		h.ID, h.Name, h.Script, string(h.TriggerID), h.Enabled, deps, normTime(h.CreatedAt), normTime(h.UpdatedAt))
	return dbErr("create hook", err)
}

func (q *queries) HookGet(ctx context.Context, id string) (*keyhook.Hook, error) {
	return q.hookGet(ctx, ``, id)
}

// hookGet reads a hook; lock is “ or forUpdate.
func (q *queries) hookGet(ctx context.Context, lock, id string) (*keyhook.Hook, error) {
	h, err := scanHook(q.q.QueryRow(ctx, `SELECT `+hookCols+` FROM hooks WHERE id = $1`+lock, id))
	if err != nil {
		return nil, dbErr("get hook", err)
	}
	return h, nil
}

func (q *queries) HookGetEnabled(ctx context.Context, trigger keyhook.TriggerID) (*keyhook.Hook, error) {
	h, err := scanHook(q.q.QueryRow(ctx, `SELECT `+hookCols+` FROM hooks WHERE trigger_id = $1 AND enabled`,
		string(trigger)))
	if err != nil {
		return nil, dbErr("get enabled hook", err)
	}
	return h, nil
}

func (q *queries) HookList(ctx context.Context, p store.HookListParams) ([]keyhook.Hook, int, error) {
	var w where
	if p.Enabled != nil {
		w.add("enabled = " + w.arg(*p.Enabled))
	}
	if p.TriggerID != "" {
		w.add("trigger_id = " + w.arg(string(p.TriggerID)))
	}
	total, err := q.count(ctx, "list hooks", `SELECT count(*) FROM hooks`+w.String(), w.args...)
	if err != nil {
		return nil, 0, err
	}
	conds := w.String()
	rows, err := q.q.Query(ctx, `SELECT `+hookCols+` FROM hooks`+conds+
		` ORDER BY created_at, id`+w.page(p.PageParams), w.args...)
	if err != nil {
		return nil, 0, dbErr("list hooks", err)
	}
	defer rows.Close()
	out := []keyhook.Hook{}
	for rows.Next() {
		h, err := scanHook(rows)
		if err != nil {
			return nil, 0, dbErr("list hooks", err)
		}
		out = append(out, *h)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, dbErr("list hooks", err)
	}
	return out, total, nil
}

func (q *queries) HookUpdate(ctx context.Context, id string, fn func(h *keyhook.Hook) error) (*keyhook.Hook, error) {
	var h *keyhook.Hook
	err := q.inTx(ctx, func(q *queries) error {
		var err error
		if h, err = q.hookGet(ctx, forUpdate, id); err != nil {
			return err
		}
		created, updated := h.CreatedAt, h.UpdatedAt
		if err := fn(h); err != nil {
			return fnErr("update hook", err)
		}
		h.ID, h.CreatedAt = id, created
		touch(&h.UpdatedAt, updated)
		if err := q.hookPut(ctx, h); err != nil {
			return err
		}
		h, err = q.HookGet(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

func (q *queries) hookPut(ctx context.Context, h *keyhook.Hook) error {
	var j jsonArgs
	deps := j.encode(h.Dependencies, "{}")
	if j.err != nil {
		return fmt.Errorf("postgres: update hook: %w", j.err)
	}
	res, err := q.q.Exec(ctx, `UPDATE hooks SET name = $1, script = $2, trigger_id = $3, enabled = $4,
    dependencies = $5, updated_at = $6 WHERE id = $7`,
		h.Name, h.Script, string(h.TriggerID), h.Enabled, deps, normTime(h.UpdatedAt), h.ID)
	return mustAffect("update hook", res, err)
}

// HookDelete deletes the hook; its secrets go with it (ON DELETE CASCADE).
func (q *queries) HookDelete(ctx context.Context, id string) error {
	res, err := q.q.Exec(ctx, `DELETE FROM hooks WHERE id = $1`, id)
	return mustAffect("delete hook", res, err)
}

func (q *queries) HookSecretsGet(ctx context.Context, hookID string) (map[string]string, error) {
	var sealed []byte
	err := q.q.QueryRow(ctx, `SELECT s.sealed FROM hooks h LEFT JOIN hook_secrets s ON s.hook_id = h.id
    WHERE h.id = $1`, hookID).Scan(&sealed)
	if err != nil {
		return nil, dbErr("get hook secrets", err)
	}
	secrets := map[string]string{}
	if sealed == nil {
		return secrets, nil
	}
	plain, err := q.sealer.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("postgres: get hook secrets: %w", err)
	}
	if err := json.Unmarshal(plain, &secrets); err != nil {
		return nil, fmt.Errorf("postgres: get hook secrets: %w", err)
	}
	return secrets, nil
}

// HookSecretsPut seals the whole name -> value map as one value, so names are
// not visible at rest either.
func (q *queries) HookSecretsPut(ctx context.Context, hookID string, secrets map[string]string) error {
	if secrets == nil {
		secrets = map[string]string{}
	}
	plain, err := json.Marshal(secrets)
	if err != nil {
		return fmt.Errorf("postgres: put hook secrets: %w", err)
	}
	sealed, err := q.sealer.Seal(plain)
	if err != nil {
		return fmt.Errorf("postgres: put hook secrets: %w", err)
	}
	// Selecting from hooks makes a missing hook affect no row.
	res, err := q.q.Exec(ctx, `INSERT INTO hook_secrets (hook_id, sealed) SELECT id, $1::bytea FROM hooks WHERE id = $2
    ON CONFLICT (hook_id) DO UPDATE SET sealed = excluded.sealed`, sealed, hookID)
	return mustAffect("put hook secrets", res, err)
}

// HookSecretsUpdate reads, changes and writes the secret set with the hook's
// row locked.
func (q *queries) HookSecretsUpdate(ctx context.Context, hookID string,
	fn func(cur map[string]string) (map[string]string, error)) (map[string]string, error) {
	var secrets map[string]string
	err := q.inTx(ctx, func(q *queries) error {
		// The lock is on the hook's row, since the secrets' row may not
		// exist yet. It is a statement of its own: a join locking h would,
		// after waiting, recheck h's row but keep the secrets it read
		// before the wait; the next statement reads them afresh.
		var one int
		if err := q.q.QueryRow(ctx, `SELECT 1 FROM hooks WHERE id = $1 FOR UPDATE`, hookID).Scan(&one); err != nil {
			return dbErr("update hook secrets", err)
		}
		cur, err := q.HookSecretsGet(ctx, hookID)
		if err != nil {
			return err
		}
		if secrets, err = fn(cur); err != nil {
			return fnErr("update hook secrets", err)
		}
		if secrets == nil {
			secrets = map[string]string{}
		}
		return q.HookSecretsPut(ctx, hookID, secrets)
	})
	if err != nil {
		return nil, err
	}
	return secrets, nil
}

// ---- logs ----

const logCols = `log_id, date, type, description, connection, connection_id, client_id, client_name, ip,
    hostname, user_id, user_name, audience, scope, strategy, strategy_type, user_agent, details`

func scanLog(s scanner) (*keyhook.LogEntry, error) {
	var e keyhook.LogEntry
	err := s.Scan(&e.LogID, timeCol{&e.Date}, &e.Type, &e.Description, &e.Connection, &e.ConnectionID,
		&e.ClientID, &e.ClientName, &e.IP, &e.Hostname, &e.UserID, &e.UserName, &e.Audience, &e.Scope,
		&e.Strategy, &e.StrategyType, &e.UserAgent, jsonCol{&e.Details})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

func (q *queries) LogCreate(ctx context.Context, e *keyhook.LogEntry) error {
	if e.Date.IsZero() {
		e.Date = time.Now()
	}
	e.Date = normTime(e.Date)
	if e.LogID == "" {
		e.LogID = keyhook.NewLogID(e.Date)
	}
	var j jsonArgs
	details := j.encode(e.Details, "{}")
	if j.err != nil {
		return fmt.Errorf("postgres: create log: %w", j.err)
	}
	_, err := q.q.Exec(ctx, `INSERT INTO logs (`+logCols+`) VALUES (`+placeholders(18)+`)`,
		e.LogID, normTime(e.Date), e.Type, e.Description, e.Connection, e.ConnectionID, e.ClientID, e.ClientName,
		e.IP, e.Hostname, e.UserID, e.UserName, e.Audience, e.Scope, e.Strategy, e.StrategyType, e.UserAgent, details)
	return dbErr("create log", err)
}

func (q *queries) LogGet(ctx context.Context, logID string) (*keyhook.LogEntry, error) {
	e, err := scanLog(q.q.QueryRow(ctx, `SELECT `+logCols+` FROM logs WHERE log_id = $1`, logID))
	if err != nil {
		return nil, dbErr("get log", err)
	}
	return e, nil
}

// Checkpoint mode's Take: default and maximum.
const (
	defaultTake = 50
	maxTake     = 100
)

// LogList returns the total of entries matching the filters; in checkpoint
// mode the total ignores From.
func (q *queries) LogList(ctx context.Context, p store.LogListParams) ([]keyhook.LogEntry, int, error) {
	var w where
	if p.UserID != "" {
		w.add("user_id = " + w.arg(p.UserID))
	}
	if p.Type != "" {
		w.add("type = " + w.arg(p.Type))
	}
	total, err := q.count(ctx, "list logs", `SELECT count(*) FROM logs`+w.String(), w.args...)
	if err != nil {
		return nil, 0, err
	}
	var query string
	if p.Checkpoint || p.From != "" || p.Take != 0 {
		take := p.Take
		if take <= 0 {
			take = defaultTake
		}
		take = min(take, maxTake)
		if p.From != "" {
			w.add("log_id > " + w.arg(p.From))
		}
		conds := w.String()
		query = `SELECT ` + logCols + ` FROM logs` + conds + ` ORDER BY log_id LIMIT ` + w.arg(take)
	} else {
		dir := "DESC"
		if p.Ascending {
			dir = "ASC"
		}
		conds := w.String()
		query = fmt.Sprintf(`SELECT %s FROM logs%s ORDER BY date %s, log_id %s%s`, logCols, conds, dir, dir, w.page(p.PageParams))
	}
	rows, err := q.q.Query(ctx, query, w.args...)
	if err != nil {
		return nil, 0, dbErr("list logs", err)
	}
	defer rows.Close()
	out := []keyhook.LogEntry{}
	for rows.Next() {
		e, err := scanLog(rows)
		if err != nil {
			return nil, 0, dbErr("list logs", err)
		}
		out = append(out, *e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, dbErr("list logs", err)
	}
	return out, total, nil
}

// ---- signing keys ----

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
	_, err = q.q.Exec(ctx, `INSERT INTO signing_keys (kid, private_key, created_at) VALUES ($1, $2, $3)`,
		k.KID, sealed, normTime(k.CreatedAt))
	return dbErr("create signing key", err)
}

func (q *queries) SigningKeyList(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := q.q.Query(ctx, `SELECT kid, private_key, created_at FROM signing_keys
    ORDER BY created_at DESC, kid DESC`)
	if err != nil {
		return nil, dbErr("list signing keys", err)
	}
	defer rows.Close()
	out := []store.SigningKey{}
	for rows.Next() {
		var k store.SigningKey
		var sealed []byte
		if err := rows.Scan(&k.KID, &sealed, timeCol{&k.CreatedAt}); err != nil {
			return nil, dbErr("list signing keys", err)
		}
		if k.PrivateKeyPEM, err = q.sealer.Open(sealed); err != nil {
			return nil, fmt.Errorf("postgres: list signing keys: %s: %w", k.KID, err)
		}
		out = append(out, k)
	}
	return out, dbErr("list signing keys", rows.Err())
}

func (q *queries) ConfigVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := q.q.QueryRow(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, dbErr("read config version", err)
	}
	return v, nil
}
