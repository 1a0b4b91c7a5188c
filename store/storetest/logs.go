package storetest

import (
	"fmt"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var logTests = []subtest{
	{"Log/RoundTrip", testLogRoundTrip},
	{"Log/OffsetMode", testLogOffsetMode},
	{"Log/CheckpointMode", testLogCheckpointMode},
	{"Log/Batch", testLogBatch},
}

// testLogBatch: a batch fills ids and dates, and is stored whole or, when
// one entry is refused, not at all.
func testLogBatch(t *testing.T, s store.Store) {
	entries := []*keyhook.LogEntry{
		{Type: keyhook.LogSuccessCredentialsExchange, ClientID: "a"},
		{Type: keyhook.LogSuccessCredentialsExchange, ClientID: "b", Details: map[string]any{"n": 1.0}},
		{Type: keyhook.LogFailedCredentialsExchange, ClientID: "c", LogID: keyhook.NewLogID(at(1)), Date: at(1)},
	}
	must(t, s.LogCreateBatch(ctx(t), entries))
	for _, e := range entries {
		if e.LogID == "" || e.Date.IsZero() {
			t.Fatalf("LogCreateBatch did not fill id and date: %+v", e)
		}
		got, err := s.LogGet(ctx(t), e.LogID)
		must(t, err)
		mustEqual(t, got.ClientID, e.ClientID)
	}
	mustEqual(t, entries[2].Date, stored(at(1)))

	fresh := &keyhook.LogEntry{Type: keyhook.LogSuccessCredentialsExchange, ClientID: "d"}
	dup := &keyhook.LogEntry{Type: keyhook.LogSuccessCredentialsExchange, ClientID: "e", LogID: entries[0].LogID, Date: entries[0].Date}
	mustIs(t, s.LogCreateBatch(ctx(t), []*keyhook.LogEntry{fresh, dup}), store.ErrConflict)
	_, err := s.LogGet(ctx(t), fresh.LogID)
	mustIs(t, err, store.ErrNotFound)
	got, err := s.LogGet(ctx(t), entries[0].LogID)
	must(t, err)
	mustEqual(t, got.ClientID, "a")
}

func testLogRoundTrip(t *testing.T, s store.Store) {
	e := &keyhook.LogEntry{
		LogID:        keyhook.NewLogID(at(0)),
		Date:         at(0),
		Type:         keyhook.LogSuccessCredentialsExchange,
		Description:  "Client Credentials for Access Token",
		Connection:   "db",
		ConnectionID: "con_1",
		ClientID:     "client-1",
		ClientName:   "App",
		IP:           "203.0.113.9",
		Hostname:     "localhost",
		UserID:       "auth0|1",
		UserName:     "jane",
		Audience:     "https://api/",
		Scope:        "read:things",
		Strategy:     "auth0",
		StrategyType: "database",
		UserAgent:    "curl/8",
		Details: map[string]any{
			"hooks": []any{map[string]any{"id": "h1", "duration_ms": 1.25, "error": nil}},
			"n":     3.0,
		},
	}
	must(t, s.LogCreate(ctx(t), e))
	got, err := s.LogGet(ctx(t), e.LogID)
	must(t, err)
	mustEqual(t, got, e)
	mustUTC(t, "Date", got.Date)
	_, err = s.LogGet(ctx(t), "missing")
	mustIs(t, err, store.ErrNotFound)
	mustIs(t, s.LogCreate(ctx(t), e), store.ErrConflict)

	bare := &keyhook.LogEntry{Type: keyhook.LogFailedLogin}
	must(t, s.LogCreate(ctx(t), bare))
	if bare.LogID == "" || bare.Date.IsZero() {
		t.Fatalf("LogCreate did not fill id and date: %+v", bare)
	}
	got, err = s.LogGet(ctx(t), bare.LogID)
	must(t, err)
	mustEqual(t, got.Details, map[string]any{})
}

// seedLogs creates n entries a minute apart; odd ones belong to auth0|odd and
// have type "f", even ones auth0|even and "s". It returns their ids oldest
// first.
func seedLogs(t *testing.T, s store.Store, n int) []string {
	ids := make([]string, n)
	for i := range n {
		e := &keyhook.LogEntry{Date: at(i), Type: keyhook.LogSuccessLogin, UserID: "auth0|even"}
		if i%2 == 1 {
			e.Type, e.UserID = keyhook.LogFailedLogin, "auth0|odd"
		}
		e.LogID = keyhook.NewLogID(e.Date)
		e.Description = fmt.Sprint(i)
		must(t, s.LogCreate(ctx(t), e))
		ids[i] = e.LogID
	}
	return ids
}

func logIDs(entries []keyhook.LogEntry) []string {
	ids := []string{}
	for _, e := range entries {
		ids = append(ids, e.LogID)
	}
	return ids
}

func pick(ids []string, idx ...int) []string {
	out := []string{}
	for _, i := range idx {
		out = append(out, ids[i])
	}
	return out
}

func testLogOffsetMode(t *testing.T, s store.Store) {
	ids := seedLogs(t, s, 7)
	tests := []struct {
		name      string
		params    store.LogListParams
		want      []int
		wantTotal int
	}{
		{"newest first", store.LogListParams{}, []int{6, 5, 4, 3, 2, 1, 0}, 7},
		{"ascending", store.LogListParams{Ascending: true}, []int{0, 1, 2, 3, 4, 5, 6}, 7},
		{"page", store.LogListParams{PageParams: store.PageParams{Page: 1, PerPage: 3}}, []int{3, 2, 1}, 7},
		{"ascending page", store.LogListParams{Ascending: true, PageParams: store.PageParams{Page: 2, PerPage: 3}}, []int{6}, 7},
		{"user", store.LogListParams{UserID: "auth0|odd"}, []int{5, 3, 1}, 3},
		{"type", store.LogListParams{Type: keyhook.LogSuccessLogin}, []int{6, 4, 2, 0}, 4},
		{"user and type", store.LogListParams{UserID: "auth0|odd", Type: keyhook.LogSuccessLogin}, []int{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.LogList(ctx(t), tt.params)
			must(t, err)
			mustEqual(t, logIDs(got), pick(ids, tt.want...))
			mustEqual(t, total, tt.wantTotal)
		})
	}
}

func testLogCheckpointMode(t *testing.T, s store.Store) {
	const n = 120
	ids := seedLogs(t, s, n)
	span := func(from, to int) []int {
		out := []int{}
		for i := from; i < to; i++ {
			out = append(out, i)
		}
		return out
	}
	tests := []struct {
		name   string
		params store.LogListParams
		want   []int
	}{
		{"checkpoint flag, default take", store.LogListParams{Checkpoint: true}, span(0, 50)},
		{"take only", store.LogListParams{Take: 5}, span(0, 5)},
		{"from", store.LogListParams{From: ids[10], Take: 3}, span(11, 14)},
		{"from, default take", store.LogListParams{From: ids[100]}, span(101, 120)},
		{"take is capped at 100", store.LogListParams{Take: 500}, span(0, 100)},
		{"from the last", store.LogListParams{From: ids[n-1], Take: 10}, []int{}},
		{"from with filter", store.LogListParams{From: ids[10], Take: 3, UserID: "auth0|odd"}, []int{11, 13, 15}},
		// Offset fields are ignored in checkpoint mode.
		{"page ignored", store.LogListParams{From: ids[0], Take: 2, PageParams: store.PageParams{Page: 3}}, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := s.LogList(ctx(t), tt.params)
			must(t, err)
			mustEqual(t, logIDs(got), pick(ids, tt.want...))
		})
	}
}
