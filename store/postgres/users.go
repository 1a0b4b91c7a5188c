package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
)

// emailKey is the case-folded email the uniqueness rule and lookups use.
func emailKey(email string) string { return strings.ToLower(email) }

func userFromRow(r dbsqlc.User) (*keyhook.User, error) {
	u := &keyhook.User{
		ID: r.UserID, Connection: r.Connection, Email: r.Email, EmailVerified: r.EmailVerified,
		Username: r.Username, PhoneNumber: r.PhoneNumber, PhoneVerified: r.PhoneVerified,
		GivenName: r.GivenName, FamilyName: r.FamilyName, Name: r.Name, Nickname: r.Nickname,
		Picture: r.Picture, PasswordHash: r.PasswordHash, Blocked: r.Blocked, LastIP: r.LastIp,
		LoginsCount: r.LoginsCount, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		LastLogin: utcPtr(r.LastLogin), LastPasswordReset: utcPtr(r.LastPasswordReset),
	}
	var j jsonCols
	j.decode(r.UserMetadata, &u.UserMetadata)
	j.decode(r.AppMetadata, &u.AppMetadata)
	return u, j.err
}

func (q *queries) UserCreate(ctx context.Context, u *keyhook.User) error {
	if err := requireID("user", u.ID); err != nil {
		return err
	}
	stamp(&u.CreatedAt, &u.UpdatedAt)
	u.LastLogin, u.LastPasswordReset = normNullTime(u.LastLogin), normNullTime(u.LastPasswordReset)
	var j jsonArgs
	p := dbsqlc.UserCreateParams{
		UserID: u.ID, Connection: u.Connection, Email: u.Email, EmailKey: emailKey(u.Email),
		EmailVerified: u.EmailVerified, Username: u.Username, PhoneNumber: u.PhoneNumber,
		PhoneVerified: u.PhoneVerified, GivenName: u.GivenName, FamilyName: u.FamilyName, Name: u.Name,
		Nickname: u.Nickname, Picture: u.Picture, UserMetadata: j.encode(u.UserMetadata, "{}"),
		AppMetadata: j.encode(u.AppMetadata, "{}"), PasswordHash: u.PasswordHash, Blocked: u.Blocked,
		LastIp: u.LastIP, LoginsCount: u.LoginsCount, CreatedAt: normTime(u.CreatedAt),
		UpdatedAt: normTime(u.UpdatedAt), LastLogin: normNullTime(u.LastLogin),
		LastPasswordReset: normNullTime(u.LastPasswordReset),
	}
	if j.err != nil {
		return fmt.Errorf("postgres: create user: %w", j.err)
	}
	return dbErr("create user", q.db.UserCreate(ctx, p))
}

func (q *queries) UserGetByID(ctx context.Context, id string) (*keyhook.User, error) {
	row, err := q.db.UserGetByID(ctx, id)
	return oneOf("get user", row, err, userFromRow)
}

func (q *queries) UserGetByEmail(ctx context.Context, connection, email string) (*keyhook.User, error) {
	if email == "" {
		return nil, fmt.Errorf("postgres: get user: empty email: %w", store.ErrNotFound)
	}
	row, err := q.db.UserGetByEmail(ctx, dbsqlc.UserGetByEmailParams{EmailKey: emailKey(email), Connection: connection})
	return oneOf("get user", row, err, userFromRow)
}

func (q *queries) UserGetByUsername(ctx context.Context, connection, username string) (*keyhook.User, error) {
	if username == "" {
		return nil, fmt.Errorf("postgres: get user: empty username: %w", store.ErrNotFound)
	}
	row, err := q.db.UserGetByUsername(ctx, dbsqlc.UserGetByUsernameParams{Connection: connection, Username: username})
	return oneOf("get user", row, err, userFromRow)
}

// userSortColumns are the columns UserListParams.Sort may name (the CASE
// terms of UserListSorted).
var userSortColumns = map[string]bool{
	"created_at": true, "updated_at": true, "email": true, "last_login": true,
	"user_id": true, "logins_count": true, "name": true,
}

func (q *queries) UserList(ctx context.Context, p store.UserListParams) ([]keyhook.User, int, error) {
	sort := p.Sort
	if sort == "" {
		sort = "created_at"
	}
	if !userSortColumns[sort] {
		return nil, 0, fmt.Errorf("postgres: list users: cannot sort by %q", p.Sort)
	}
	limit, offset := limitOffset(p.PageParams)
	var total int64
	var rows []dbsqlc.User
	var err error
	switch {
	case p.Email != "":
		total, err = q.db.UserCountByEmail(ctx, dbsqlc.UserCountByEmailParams{EmailKey: emailKey(p.Email), Connection: p.Connection})
		if err == nil {
			rows, err = q.db.UserListByEmail(ctx, dbsqlc.UserListByEmailParams{
				EmailKey: emailKey(p.Email), Connection: p.Connection, Sort: sort, Descending: p.SortDesc,
				Limit: limit, Offset: offset,
			})
		}
	case sort == "created_at" && !p.SortDesc:
		total, err = q.db.UserCount(ctx, p.Connection)
		if err == nil {
			rows, err = q.db.UserListCreated(ctx, dbsqlc.UserListCreatedParams{Connection: p.Connection, Limit: limit, Offset: offset})
		}
	default:
		total, err = q.db.UserCount(ctx, p.Connection)
		if err == nil {
			rows, err = q.db.UserListSorted(ctx, dbsqlc.UserListSortedParams{
				Connection: p.Connection, Sort: sort, Descending: p.SortDesc, Limit: limit, Offset: offset,
			})
		}
	}
	users, err := rowsOf("list users", rows, err, userFromRow)
	if err != nil {
		return nil, 0, err
	}
	return users, int(total), nil
}

func (q *queries) UserUpdate(ctx context.Context, id string, fn func(u *keyhook.User) error) (*keyhook.User, error) {
	return update(ctx, q, "update user",
		func(q *queries) (*keyhook.User, error) {
			row, err := q.db.UserGetByIDForUpdate(ctx, id)
			return oneOf("update user", row, err, userFromRow)
		},
		func(u *keyhook.User) rowFields { return rowFields{&u.ID, &u.CreatedAt, &u.UpdatedAt} },
		fn, func(q *queries, u *keyhook.User) (*keyhook.User, error) {
			var j jsonArgs
			p := dbsqlc.UserUpdateParams{
				UserID: u.ID, Connection: u.Connection, Email: u.Email, EmailKey: emailKey(u.Email),
				EmailVerified: u.EmailVerified, Username: u.Username, PhoneNumber: u.PhoneNumber,
				PhoneVerified: u.PhoneVerified, GivenName: u.GivenName, FamilyName: u.FamilyName, Name: u.Name,
				Nickname: u.Nickname, Picture: u.Picture, UserMetadata: j.encode(u.UserMetadata, "{}"),
				AppMetadata: j.encode(u.AppMetadata, "{}"), PasswordHash: u.PasswordHash, Blocked: u.Blocked,
				LastIp: u.LastIP, LoginsCount: u.LoginsCount, UpdatedAt: normTime(u.UpdatedAt),
				LastLogin: normNullTime(u.LastLogin), LastPasswordReset: normNullTime(u.LastPasswordReset),
			}
			if j.err != nil {
				return nil, fmt.Errorf("postgres: update user: %w", j.err)
			}
			row, err := q.db.UserUpdate(ctx, p)
			return oneOf("update user", row, err, userFromRow)
		})
}

func (q *queries) UserRecordLogin(ctx context.Context, p store.UserRecordLoginParams) error {
	n, err := q.db.UserRecordLogin(ctx, dbsqlc.UserRecordLoginParams{
		UserID: p.UserID, LastLogin: normNullTime(&p.At), LastIp: p.IP,
	})
	return mustAffect("record login", n, err)
}

func (q *queries) UserDelete(ctx context.Context, id string) error {
	n, err := q.db.UserDelete(ctx, id)
	return mustAffect("delete user", n, err)
}
