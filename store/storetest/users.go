package storetest

import (
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var connectionTests = []subtest{
	{"Connection/CreateGetList", testConnectionCreateGetList},
	{"Connection/DuplicateName", testConnectionDuplicateName},
}

func testConnectionCreateGetList(t *testing.T, s store.Store) {
	c1 := &keyhook.Connection{ID: keyhook.NewConnectionID(), Name: "db", Strategy: "auth0", CreatedAt: at(1)}
	c2 := &keyhook.Connection{ID: keyhook.NewConnectionID(), Name: "email", Strategy: "email", CreatedAt: at(0)}
	must(t, s.ConnectionCreate(ctx(t), c1))
	must(t, s.ConnectionCreate(ctx(t), c2))
	mustEqual(t, c1.CreatedAt, stored(at(1)))

	got, err := s.ConnectionGetByName(ctx(t), "db")
	must(t, err)
	mustEqual(t, got, c1)
	mustUTC(t, "CreatedAt", got.CreatedAt)

	_, err = s.ConnectionGetByName(ctx(t), "missing")
	mustIs(t, err, store.ErrNotFound)

	list, err := s.ConnectionList(ctx(t))
	must(t, err)
	mustEqual(t, list, []keyhook.Connection{*c2, *c1})
}

func testConnectionDuplicateName(t *testing.T, s store.Store) {
	must(t, s.ConnectionCreate(ctx(t), &keyhook.Connection{ID: "con_1", Name: "db", Strategy: "auth0"}))
	err := s.ConnectionCreate(ctx(t), &keyhook.Connection{ID: "con_2", Name: "db", Strategy: "auth0"})
	mustIs(t, err, store.ErrConflict)
	err = s.ConnectionCreate(ctx(t), &keyhook.Connection{ID: "con_1", Name: "other", Strategy: "auth0"})
	mustIs(t, err, store.ErrConflict)
}

var userTests = []subtest{
	{"User/RoundTrip", testUserRoundTrip},
	{"User/EmptyCollections", testUserEmptyCollections},
	{"User/Lookups", testUserLookups},
	{"User/Uniqueness", testUserUniqueness},
	{"User/Update", testUserUpdate},
	{"User/Delete", testUserDelete},
	{"User/ListFilters", testUserListFilters},
	{"User/ListSort", testUserListSort},
	{"User/ListPagination", testUserListPagination},
}

func fullUser() *keyhook.User {
	return &keyhook.User{
		ID:            keyhook.NewDatabaseUserID(),
		Connection:    keyhook.DefaultDatabaseConnection,
		Email:         "Jane.Doe@Example.com",
		EmailVerified: true,
		Username:      "jane",
		PhoneNumber:   "+15555550100",
		PhoneVerified: true,
		GivenName:     "Jane",
		FamilyName:    "Doe",
		Name:          "Jane Doe",
		Nickname:      "jd",
		Picture:       "https://example.com/jane.png",
		UserMetadata: map[string]any{
			"theme": "dark", "n": 1.5, "tags": []any{"a", true, nil},
			"nested": map[string]any{"ü": "ñ"},
		},
		AppMetadata:       map[string]any{"roles": []any{"admin"}, "plan": map[string]any{"tier": 2.0}},
		PasswordHash:      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Blocked:           true,
		LastIP:            "203.0.113.7",
		LoginsCount:       42,
		CreatedAt:         at(0),
		UpdatedAt:         at(1),
		LastLogin:         ptr(at(2)),
		LastPasswordReset: ptr(at(3)),
	}
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	u := fullUser()
	must(t, s.UserCreate(ctx(t), u))
	// Create leaves the caller's struct as a read returns it.
	mustEqual(t, u.CreatedAt, stored(at(0)))
	mustEqual(t, *u.LastLogin, stored(at(2)))

	got, err := s.UserGetByID(ctx(t), u.ID)
	must(t, err)
	mustEqual(t, got, u)
	for what, tm := range map[string]time.Time{
		"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt,
		"LastLogin": *got.LastLogin, "LastPasswordReset": *got.LastPasswordReset,
	} {
		mustUTC(t, what, tm)
	}
}

func testUserEmptyCollections(t *testing.T, s store.Store) {
	u := &keyhook.User{ID: "auth0|empty", Connection: "db"}
	must(t, s.UserCreate(ctx(t), u))
	if u.CreatedAt.IsZero() || !u.UpdatedAt.Equal(u.CreatedAt) {
		t.Fatalf("Create did not stamp times: created %v updated %v", u.CreatedAt, u.UpdatedAt)
	}
	got, err := s.UserGetByID(ctx(t), u.ID)
	must(t, err)
	// Absent metadata comes back as empty maps, never nil, so API layers
	// render {} rather than null.
	mustEqual(t, got.UserMetadata, map[string]any{})
	mustEqual(t, got.AppMetadata, map[string]any{})
	if got.LastLogin != nil || got.LastPasswordReset != nil {
		t.Fatalf("nil times came back set: %v %v", got.LastLogin, got.LastPasswordReset)
	}
	mustEqual(t, got.CreatedAt, u.CreatedAt)
}

func testUserLookups(t *testing.T, s store.Store) {
	u := fullUser()
	must(t, s.UserCreate(ctx(t), u))
	other := fullUser()
	other.Connection = "other"
	must(t, s.UserCreate(ctx(t), other))

	tests := []struct {
		name      string
		get       func() (*keyhook.User, error)
		wantID    string
		wantErrIs error
	}{
		{"id", func() (*keyhook.User, error) { return s.UserGetByID(ctx(t), u.ID) }, u.ID, nil},
		{"id missing", func() (*keyhook.User, error) { return s.UserGetByID(ctx(t), "auth0|nope") }, "", store.ErrNotFound},
		{"email exact", func() (*keyhook.User, error) { return s.UserGetByEmail(ctx(t), u.Connection, "Jane.Doe@Example.com") }, u.ID, nil},
		{"email other case", func() (*keyhook.User, error) { return s.UserGetByEmail(ctx(t), u.Connection, "JANE.DOE@example.COM") }, u.ID, nil},
		{"email other connection", func() (*keyhook.User, error) { return s.UserGetByEmail(ctx(t), "other", "jane.doe@example.com") }, other.ID, nil},
		{"email unknown connection", func() (*keyhook.User, error) { return s.UserGetByEmail(ctx(t), "none", "jane.doe@example.com") }, "", store.ErrNotFound},
		{"email missing", func() (*keyhook.User, error) { return s.UserGetByEmail(ctx(t), u.Connection, "john@example.com") }, "", store.ErrNotFound},
		{"email empty", func() (*keyhook.User, error) { return s.UserGetByEmail(ctx(t), u.Connection, "") }, "", store.ErrNotFound},
		{"username", func() (*keyhook.User, error) { return s.UserGetByUsername(ctx(t), u.Connection, "jane") }, u.ID, nil},
		{"username other connection", func() (*keyhook.User, error) { return s.UserGetByUsername(ctx(t), "other", "jane") }, other.ID, nil},
		{"username missing", func() (*keyhook.User, error) { return s.UserGetByUsername(ctx(t), u.Connection, "john") }, "", store.ErrNotFound},
		{"username empty", func() (*keyhook.User, error) { return s.UserGetByUsername(ctx(t), u.Connection, "") }, "", store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if tt.wantErrIs != nil {
				mustIs(t, err, tt.wantErrIs)
				return
			}
			must(t, err)
			mustEqual(t, got.ID, tt.wantID)
		})
	}
}

func testUserUniqueness(t *testing.T, s store.Store) {
	base := &keyhook.User{ID: "auth0|1", Connection: "db", Email: "a@example.com", Username: "alice"}
	must(t, s.UserCreate(ctx(t), base))
	tests := []struct {
		name     string
		user     keyhook.User
		conflict bool
	}{
		{"same id", keyhook.User{ID: "auth0|1", Connection: "db2"}, true},
		{"same email", keyhook.User{ID: "auth0|2", Connection: "db", Email: "a@example.com"}, true},
		{"same email other case", keyhook.User{ID: "auth0|3", Connection: "db", Email: "A@EXAMPLE.com"}, true},
		{"same username", keyhook.User{ID: "auth0|4", Connection: "db", Username: "alice"}, true},
		{"same email other connection", keyhook.User{ID: "auth0|5", Connection: "db2", Email: "a@example.com"}, false},
		{"same username other connection", keyhook.User{ID: "auth0|6", Connection: "db2", Username: "alice"}, false},
		{"username differs in case", keyhook.User{ID: "auth0|7", Connection: "db", Username: "Alice"}, false},
		{"no email or username", keyhook.User{ID: "auth0|8", Connection: "db"}, false},
		{"again no email or username", keyhook.User{ID: "auth0|9", Connection: "db"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.UserCreate(ctx(t), &tt.user)
			if tt.conflict {
				mustIs(t, err, store.ErrConflict)
				return
			}
			must(t, err)
		})
	}
}

func testUserUpdate(t *testing.T, s store.Store) {
	u := fullUser()
	must(t, s.UserCreate(ctx(t), u))
	other := &keyhook.User{ID: "auth0|other", Connection: u.Connection, Email: "other@example.com", Username: "other"}
	must(t, s.UserCreate(ctx(t), other))

	upd := *u
	upd.Email = "new@example.com"
	upd.EmailVerified = false
	upd.Username = ""
	upd.UserMetadata = map[string]any{"only": "this"}
	upd.AppMetadata = map[string]any{}
	upd.Blocked = false
	upd.LoginsCount = 43
	upd.LastLogin = ptr(at(10))
	upd.LastPasswordReset = nil
	upd.UpdatedAt = at(11)
	ret, err := s.UserUpdate(ctx(t), u.ID, func(cur *keyhook.User) error {
		mustEqual(t, cur, u) // fn sees the stored row
		*cur = upd
		return nil
	})
	must(t, err)

	got, err := s.UserGetByID(ctx(t), u.ID)
	must(t, err)
	upd.UpdatedAt, upd.LastLogin = stored(upd.UpdatedAt), ptr(stored(*upd.LastLogin))
	mustEqual(t, got, &upd)
	mustEqual(t, ret, got)
	// The email index follows the update.
	_, err = s.UserGetByEmail(ctx(t), u.Connection, u.Email)
	mustIs(t, err, store.ErrNotFound)
	byEmail, err := s.UserGetByEmail(ctx(t), u.Connection, "NEW@example.com")
	must(t, err)
	mustEqual(t, byEmail.ID, u.ID)

	_, err = s.UserUpdate(ctx(t), u.ID, func(cur *keyhook.User) error { cur.Email = "OTHER@example.com"; return nil })
	mustIs(t, err, store.ErrConflict)
	_, err = s.UserUpdate(ctx(t), u.ID, func(cur *keyhook.User) error { cur.Username = "other"; return nil })
	mustIs(t, err, store.ErrConflict)
	got, err = s.UserGetByID(ctx(t), u.ID)
	must(t, err)
	mustEqual(t, got, &upd)

	_, err = s.UserUpdate(ctx(t), "auth0|missing", set(fullUser()))
	mustIs(t, err, store.ErrNotFound)
}

func testUserDelete(t *testing.T, s store.Store) {
	u := fullUser()
	must(t, s.UserCreate(ctx(t), u))
	must(t, s.UserDelete(ctx(t), u.ID))
	_, err := s.UserGetByID(ctx(t), u.ID)
	mustIs(t, err, store.ErrNotFound)
	mustIs(t, s.UserDelete(ctx(t), u.ID), store.ErrNotFound)
	// The email and username are free again.
	again := fullUser()
	must(t, s.UserCreate(ctx(t), again))
}

func testUserListFilters(t *testing.T, s store.Store) {
	for i, c := range []struct{ conn, email string }{
		{"db", "a@example.com"}, {"db", "b@example.com"}, {"db", ""}, {"other", "a@example.com"},
	} {
		must(t, s.UserCreate(ctx(t), &keyhook.User{ID: name("auth0|u", i), Connection: c.conn, Email: c.email, CreatedAt: at(i)}))
	}
	tests := []struct {
		name    string
		params  store.UserListParams
		wantIDs []string
	}{
		{"all", store.UserListParams{}, []string{"auth0|u-000", "auth0|u-001", "auth0|u-002", "auth0|u-003"}},
		{"connection", store.UserListParams{Connection: "db"}, []string{"auth0|u-000", "auth0|u-001", "auth0|u-002"}},
		{"email any connection", store.UserListParams{Email: "A@example.com"}, []string{"auth0|u-000", "auth0|u-003"}},
		{"email and connection", store.UserListParams{Connection: "other", Email: "a@example.com"}, []string{"auth0|u-003"}},
		{"nothing", store.UserListParams{Connection: "none"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, total, err := s.UserList(ctx(t), tt.params)
			must(t, err)
			mustEqual(t, userIDs(users), tt.wantIDs)
			mustEqual(t, total, len(tt.wantIDs))
		})
	}
}

func userIDs(users []keyhook.User) []string {
	ids := []string{}
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	return ids
}

func testUserListSort(t *testing.T, s store.Store) {
	// Columns are chosen so each sort gives a different order.
	users := []*keyhook.User{
		{ID: "auth0|a", Email: "c@example.com", Name: "Bob", LoginsCount: 5, CreatedAt: at(0), UpdatedAt: at(9), LastLogin: ptr(at(5))},
		{ID: "auth0|b", Email: "a@example.com", Name: "Carol", LoginsCount: 1, CreatedAt: at(1), UpdatedAt: at(7)},
		{ID: "auth0|c", Email: "b@example.com", Name: "Alice", LoginsCount: 9, CreatedAt: at(2), UpdatedAt: at(8), LastLogin: ptr(at(4))},
	}
	for _, u := range users {
		u.Connection = "db"
		must(t, s.UserCreate(ctx(t), u))
	}
	tests := []struct {
		sort    string
		desc    bool
		wantIDs []string
	}{
		{"", false, []string{"auth0|a", "auth0|b", "auth0|c"}},
		{"created_at", true, []string{"auth0|c", "auth0|b", "auth0|a"}},
		{"updated_at", false, []string{"auth0|b", "auth0|c", "auth0|a"}},
		{"email", false, []string{"auth0|b", "auth0|c", "auth0|a"}},
		{"email", true, []string{"auth0|a", "auth0|c", "auth0|b"}},
		{"name", false, []string{"auth0|c", "auth0|a", "auth0|b"}},
		{"logins_count", true, []string{"auth0|c", "auth0|a", "auth0|b"}},
		{"user_id", true, []string{"auth0|c", "auth0|b", "auth0|a"}},
		// Users who never logged in come last either way.
		{"last_login", false, []string{"auth0|c", "auth0|a", "auth0|b"}},
		{"last_login", true, []string{"auth0|a", "auth0|c", "auth0|b"}},
	}
	for _, tt := range tests {
		t.Run(tt.sort, func(t *testing.T) {
			got, _, err := s.UserList(ctx(t), store.UserListParams{Sort: tt.sort, SortDesc: tt.desc})
			must(t, err)
			mustEqual(t, userIDs(got), tt.wantIDs)
		})
	}
	t.Run("unknown column", func(t *testing.T) {
		if _, _, err := s.UserList(ctx(t), store.UserListParams{Sort: "password_hash"}); err == nil {
			t.Fatal("sorting by an unlisted column succeeded")
		}
	})
}

func testUserListPagination(t *testing.T, s store.Store) {
	const n = 57
	for i := range n {
		must(t, s.UserCreate(ctx(t), &keyhook.User{ID: name("auth0|p", i), Connection: "db", CreatedAt: at(i)}))
	}
	tests := []struct {
		name      string
		page      store.PageParams
		wantFirst int // index of the first user, -1 for none
		wantLen   int
	}{
		{"default per page", store.PageParams{}, 0, 50},
		{"second default page", store.PageParams{Page: 1}, 50, 7},
		{"past the end", store.PageParams{Page: 2}, -1, 0},
		{"small pages", store.PageParams{Page: 3, PerPage: 10}, 30, 10},
		{"last small page", store.PageParams{Page: 5, PerPage: 10}, 50, 7},
		{"negative page is the first", store.PageParams{Page: -1, PerPage: 5}, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.UserList(ctx(t), store.UserListParams{PageParams: tt.page})
			must(t, err)
			mustEqual(t, total, n)
			mustEqual(t, len(got), tt.wantLen)
			if tt.wantFirst >= 0 {
				mustEqual(t, got[0].ID, name("auth0|p", tt.wantFirst))
				for i, u := range got {
					mustEqual(t, u.ID, name("auth0|p", tt.wantFirst+i))
				}
			}
		})
	}
}
