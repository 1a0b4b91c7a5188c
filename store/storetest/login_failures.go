package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var loginFailureTests = []subtest{
	{"LoginFailure/Counts", testLoginFailureCounts},
	{"LoginFailure/ListFilters", testLoginFailureListFilters},
	{"LoginFailure/Delete", testLoginFailureDelete},
	{"LoginFailure/UnknownUser", testLoginFailureUnknownUser},
	{"LoginFailure/UserDeleteCascades", testLoginFailureUserDeleteCascades},
	{"LoginFailure/InTx", testLoginFailureInTx},
	{"Connection/PasswordPolicy", testConnectionPasswordPolicy},
}

// failureUser creates a database user for login failure tests.
func failureUser(t *testing.T, s store.Store, email string) *keyhook.User {
	t.Helper()
	u := &keyhook.User{ID: keyhook.NewDatabaseUserID(), Connection: "db", Email: email}
	must(t, s.UserCreate(ctx(t), u))
	return u
}

func addFailure(t *testing.T, s store.Querier, u *keyhook.User, ip, identifier string, minute int) int {
	t.Helper()
	n, err := s.LoginFailureAdd(ctx(t), store.LoginFailureAddParams{
		UserID: u.ID, IP: ip, Identifier: identifier, Connection: u.Connection, At: at(minute),
	})
	must(t, err)
	return n
}

func testLoginFailureCounts(t *testing.T, s store.Store) {
	u := failureUser(t, s, "jane@example.com")
	for i := 1; i <= 3; i++ {
		mustEqual(t, addFailure(t, s, u, "203.0.113.9", "jane@example.com", i), i)
	}
	// The latest attempt's identifier is kept; another IP counts apart.
	mustEqual(t, addFailure(t, s, u, "203.0.113.9", "jane", 4), 4)
	mustEqual(t, addFailure(t, s, u, "198.51.100.7", "jane@example.com", 5), 1)

	got, err := s.LoginFailureList(ctx(t), store.LoginFailureListParams{UserID: u.ID})
	must(t, err)
	mustEqual(t, got, []store.LoginFailure{
		{UserID: u.ID, IP: "198.51.100.7", Identifier: "jane@example.com", Connection: "db", Count: 1,
			FirstAt: stored(at(5)), LastAt: stored(at(5))},
		{UserID: u.ID, IP: "203.0.113.9", Identifier: "jane", Connection: "db", Count: 4,
			FirstAt: stored(at(1)), LastAt: stored(at(4))},
	})
	mustUTC(t, "FirstAt", got[0].FirstAt)
	mustUTC(t, "LastAt", got[0].LastAt)

	// A zero At is now.
	n, err := s.LoginFailureAdd(ctx(t), store.LoginFailureAddParams{UserID: u.ID, IP: "192.0.2.1", Identifier: "jane", Connection: "db"})
	must(t, err)
	mustEqual(t, n, 1)
	got, err = s.LoginFailureList(ctx(t), store.LoginFailureListParams{UserID: u.ID, IP: "192.0.2.1"})
	must(t, err)
	if len(got) != 1 || got[0].FirstAt.IsZero() {
		t.Fatalf("failure without At = %+v", got)
	}

	_, err = s.LoginFailureAdd(ctx(t), store.LoginFailureAddParams{UserID: u.ID})
	if err == nil {
		t.Fatal("LoginFailureAdd without an IP succeeded")
	}
}

func testLoginFailureListFilters(t *testing.T, s store.Store) {
	jane := failureUser(t, s, "jane@example.com")
	joe := failureUser(t, s, "joe@example.com")
	for i := range 5 {
		addFailure(t, s, jane, "203.0.113.9", "jane@example.com", i)
	}
	addFailure(t, s, jane, "198.51.100.7", "jane", 0)
	for i := range 2 {
		addFailure(t, s, joe, "203.0.113.9", "joe@example.com", i)
	}
	pairs := func(fs []store.LoginFailure) []string {
		out := []string{}
		for _, f := range fs {
			out = append(out, fmt.Sprintf("%s@%s=%d", f.Identifier, f.IP, f.Count))
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name string
		p    store.LoginFailureListParams
		want []string
	}{
		{"all", store.LoginFailureListParams{}, []string{"jane@198.51.100.7=1", "jane@example.com@203.0.113.9=5", "joe@example.com@203.0.113.9=2"}},
		{"user", store.LoginFailureListParams{UserID: joe.ID}, []string{"joe@example.com@203.0.113.9=2"}},
		{"ip", store.LoginFailureListParams{IP: "203.0.113.9"}, []string{"jane@example.com@203.0.113.9=5", "joe@example.com@203.0.113.9=2"}},
		{"identifier", store.LoginFailureListParams{Identifier: "jane"}, []string{"jane@198.51.100.7=1"}},
		{"min", store.LoginFailureListParams{Min: 2}, []string{"jane@example.com@203.0.113.9=5", "joe@example.com@203.0.113.9=2"}},
		{"user and min", store.LoginFailureListParams{UserID: jane.ID, Min: 5}, []string{"jane@example.com@203.0.113.9=5"}},
		{"user and ip", store.LoginFailureListParams{UserID: jane.ID, IP: "198.51.100.7"}, []string{"jane@198.51.100.7=1"}},
		{"none over min", store.LoginFailureListParams{Min: 6}, []string{}},
		{"unknown user", store.LoginFailureListParams{UserID: "auth0|nobody"}, []string{}},
	}
	for _, tt := range tests {
		got, err := s.LoginFailureList(ctx(t), tt.p)
		must(t, err)
		if got == nil {
			t.Fatalf("%s: nil list, want empty", tt.name)
		}
		if g := pairs(got); !slices.Equal(g, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, g, tt.want)
		}
	}
}

func testLoginFailureDelete(t *testing.T, s store.Store) {
	jane := failureUser(t, s, "jane@example.com")
	joe := failureUser(t, s, "joe@example.com")
	seed := func() {
		for _, ip := range []string{"203.0.113.9", "198.51.100.7"} {
			addFailure(t, s, jane, ip, "jane@example.com", 0)
			addFailure(t, s, joe, ip, "joe@example.com", 0)
		}
	}
	count := func() int {
		fs, err := s.LoginFailureList(ctx(t), store.LoginFailureListParams{})
		must(t, err)
		return len(fs)
	}
	seed()
	tests := []struct {
		name        string
		p           store.LoginFailureDeleteParams
		deleted     int
		left        int
		nextJaneAdd int // the count a new failure of jane from 203.0.113.9 then has
	}{
		{"a pair (success)", store.LoginFailureDeleteParams{UserID: jane.ID, IP: "203.0.113.9"}, 1, 3, 1},
		{"a user (unblock by id)", store.LoginFailureDeleteParams{UserID: jane.ID}, 2, 2, 1},
		{"an identifier (unblock by identifier)", store.LoginFailureDeleteParams{Identifier: "joe@example.com"}, 2, 2, 2},
		{"nothing matches", store.LoginFailureDeleteParams{UserID: "auth0|nobody"}, 0, 4, 2},
	}
	for _, tt := range tests {
		n, err := s.LoginFailureDelete(ctx(t), tt.p)
		must(t, err)
		if n != tt.deleted {
			t.Errorf("%s: deleted %d, want %d", tt.name, n, tt.deleted)
		}
		if c := count(); c != tt.left {
			t.Errorf("%s: %d left, want %d", tt.name, c, tt.left)
		}
		if c := addFailure(t, s, jane, "203.0.113.9", "jane@example.com", 1); c != tt.nextJaneAdd {
			t.Errorf("%s: next failure counts %d, want %d", tt.name, c, tt.nextJaneAdd)
		}
		_, err = s.LoginFailureDelete(ctx(t), store.LoginFailureDeleteParams{IP: "0.0.0.0"})
		if err == nil {
			t.Fatal("LoginFailureDelete without user id or identifier succeeded")
		}
		_, err = s.LoginFailureDelete(ctx(t), store.LoginFailureDeleteParams{Identifier: "jane@example.com"})
		must(t, err)
		_, err = s.LoginFailureDelete(ctx(t), store.LoginFailureDeleteParams{Identifier: "joe@example.com"})
		must(t, err)
		seed()
	}
}

func testLoginFailureUnknownUser(t *testing.T, s store.Store) {
	_, err := s.LoginFailureAdd(ctx(t), store.LoginFailureAddParams{UserID: "auth0|nobody", IP: "203.0.113.9"})
	mustIs(t, err, store.ErrNotFound)
}

func testLoginFailureUserDeleteCascades(t *testing.T, s store.Store) {
	u := failureUser(t, s, "gone@example.com")
	addFailure(t, s, u, "203.0.113.9", "gone@example.com", 0)
	must(t, s.UserDelete(ctx(t), u.ID))
	fs, err := s.LoginFailureList(ctx(t), store.LoginFailureListParams{})
	must(t, err)
	mustEqual(t, fs, []store.LoginFailure{})
}

// testLoginFailureInTx: a password change clears blocks in the transaction
// that stores the new hash; rolled back, the counts stay.
func testLoginFailureInTx(t *testing.T, s store.Store) {
	u := failureUser(t, s, "tx@example.com")
	addFailure(t, s, u, "203.0.113.9", "tx@example.com", 0)
	err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		n, err := tx.LoginFailureAdd(ctx, store.LoginFailureAddParams{UserID: u.ID, IP: "203.0.113.9"})
		if err != nil {
			return err
		}
		if n != 2 {
			return fmt.Errorf("count in tx = %d, want 2", n)
		}
		if _, err := tx.LoginFailureDelete(ctx, store.LoginFailureDeleteParams{UserID: u.ID}); err != nil {
			return err
		}
		return errRollback
	})
	mustIs(t, err, errRollback)
	fs, err := s.LoginFailureList(ctx(t), store.LoginFailureListParams{UserID: u.ID})
	must(t, err)
	if len(fs) != 1 || fs[0].Count != 1 {
		t.Fatalf("after rollback: %+v, want one count of 1", fs)
	}
	must(t, s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LoginFailureDelete(ctx, store.LoginFailureDeleteParams{UserID: u.ID})
		return err
	}))
	fs, err = s.LoginFailureList(ctx(t), store.LoginFailureListParams{UserID: u.ID})
	must(t, err)
	mustEqual(t, fs, []store.LoginFailure{})
}

func testConnectionPasswordPolicy(t *testing.T, s store.Store) {
	c := &keyhook.Connection{ID: "con_pp", Name: "strict", Strategy: "auth0", PasswordPolicy: "excellent", PasswordMinLength: 12}
	must(t, s.ConnectionCreate(ctx(t), c))
	got, err := s.ConnectionGetByName(ctx(t), "strict")
	must(t, err)
	mustEqual(t, got, c)
	list, err := s.ConnectionList(ctx(t))
	must(t, err)
	mustEqual(t, list, []keyhook.Connection{*c})
}

// testLoginFailureRace: parallel failures of one pair all count, and each
// sees a different count (the increment is atomic, not read-then-write).
func testLoginFailureRace(t *testing.T, s store.Store) {
	const failures = 30
	u := failureUser(t, s, "race@example.com")
	counts := make([]int, failures)
	errs := make([]error, failures)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range failures {
		wg.Go(func() {
			<-start
			counts[i], errs[i] = s.LoginFailureAdd(ctx(t), store.LoginFailureAddParams{
				UserID: u.ID, IP: "203.0.113.9", Identifier: u.Email, Connection: u.Connection,
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counts returned = %v, want 1..%d each once", counts, failures)
		}
	}
	fs, err := s.LoginFailureList(ctx(t), store.LoginFailureListParams{UserID: u.ID})
	must(t, err)
	if len(fs) != 1 || fs[0].Count != failures {
		t.Fatalf("stored = %+v, want one count of %d", fs, failures)
	}
}
