package mgmtapi

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/tenantlog"
)

// seedLogs writes n entries one second apart, alternating types s and fp
// and users u0/u1; it returns their ids oldest first.
func (b *bundle) seedLogs(n int) []string {
	b.t.Helper()
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var ids []string
	for i := 0; i < n; i++ {
		e := &keyhook.LogEntry{
			Date: base.Add(time.Duration(i) * time.Second), Type: []string{"s", "fp"}[i%2],
			UserID: fmt.Sprintf("auth0|u%d", i%2), ClientID: "cid", IP: "127.0.0.1",
			Description: fmt.Sprint("entry ", i), Details: map[string]any{"n": i},
		}
		if err := tenantlog.Write(b.t.Context(), b.db, e); err != nil {
			b.t.Fatal(err)
		}
		ids = append(ids, e.LogID)
	}
	return ids
}

func logIDs(t *testing.T, items []any) []string {
	t.Helper()
	var out []string
	for _, it := range items {
		out = append(out, it.(map[string]any)["log_id"].(string))
	}
	return out
}

func TestLogs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := b.seedLogs(7)

	one := b.must(200, "GET", "/api/v2/logs/"+ids[0], nil).object(t)
	jsonEqual(t, one, fmt.Sprintf(`{"log_id":%q,"_id":%q,"date":"2025-01-02T03:04:05.000Z","type":"s","description":"entry 0",
		"client_id":"cid","ip":"127.0.0.1","user_id":"auth0|u0","details":{"n":0}}`, ids[0], ids[0]))
	if !regexp.MustCompile(`^\d{56}$`).MatchString(ids[0]) {
		t.Fatalf("log id %q", ids[0])
	}
	wantError(t, b.adminDo("GET", "/api/v2/logs/123", nil), 404, "inexistent_log", "log not found")

	// Offset: newest first by default.
	all := b.must(200, "GET", "/api/v2/logs", nil).array(t)
	if got := logIDs(t, all); len(got) != 7 || got[0] != ids[6] || got[6] != ids[0] {
		t.Fatalf("default order %v", got)
	}
	asc := b.must(200, "GET", "/api/v2/logs?sort=date:1&per_page=2&page=1&include_totals=true", nil).object(t)
	if strings.Join(keys(asc), ",") != "length,limit,logs,start,total" || asc["total"] != float64(7) || asc["length"] != float64(2) {
		t.Fatalf("totals %v", asc)
	}
	if got := logIDs(t, asc["logs"].([]any)); got[0] != ids[2] || got[1] != ids[3] {
		t.Fatalf("sort=date:1 page 1: %v", got)
	}
	fp := b.must(200, "GET", "/api/v2/logs?q=type:fp&include_totals=true", nil).object(t)
	if fp["total"] != float64(3) {
		t.Fatalf("q=type:fp %v", fp)
	}
	both := b.must(200, "GET", "/api/v2/logs?search="+url.QueryEscape(`type:s AND user_id:"auth0|u0"`), nil).array(t)
	if len(both) != 4 {
		t.Fatalf("search type+user_id: %d", len(both))
	}
	jsonEqual(t, b.must(200, "GET", "/api/v2/logs?fields=type&per_page=1", nil).json(t), `[{"type":"s"}]`)

	// Checkpoint: ascending after from, Link to the next page, [] at the end.
	r := b.must(200, "GET", "/api/v2/logs?take=3", nil)
	if got := logIDs(t, r.array(t)); strings.Join(got, ",") != strings.Join(ids[:3], ",") {
		t.Fatalf("take=3: %v", got)
	}
	var seen []string
	link := r.header.Get("Link")
	for i := 0; link != ""; i++ {
		if i > 5 {
			t.Fatal("Link pagination does not end")
		}
		m := regexp.MustCompile(`^<([^>]+)>; rel="next"$`).FindStringSubmatch(link)
		if m == nil || !strings.HasPrefix(m[1], testAudience+"logs?") {
			t.Fatalf("Link %q", link)
		}
		u, _ := url.Parse(m[1])
		page := b.must(200, "GET", "/api/v2/logs?"+u.RawQuery, nil)
		seen = append(seen, logIDs(t, page.array(t))...)
		link = page.header.Get("Link")
	}
	if strings.Join(seen, ",") != strings.Join(ids[3:], ",") {
		t.Fatalf("checkpoint pages %v, want %v", seen, ids[3:])
	}
	fromFirst := b.must(200, "GET", "/api/v2/logs?from="+ids[5]+"&take=10&q=type:s", nil).array(t)
	if got := logIDs(t, fromFirst); len(got) != 1 || got[0] != ids[6] {
		t.Fatalf("from+type %v", got)
	}

	userLogs := b.must(200, "GET", "/api/v2/users/"+url.PathEscape("auth0|u1")+"/logs?include_totals=true&per_page=2", nil).object(t)
	if userLogs["total"] != float64(3) || userLogs["length"] != float64(2) {
		t.Fatalf("user logs %v", userLogs)
	}

	for _, path := range []string{"/api/v2/logs?q=ip:1.2.3.4", "/api/v2/logs?take=101", "/api/v2/logs?sort=type:1", "/api/v2/logs?per_page=500", `/api/v2/logs?q=user_id:"unterminated`} {
		r := b.adminDo("GET", path, nil)
		wantError(t, r, 400, "invalid_query_string", "Query validation error: …")
	}
}
