package mgmtapi

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/keyhook/keyhook/store"
)

// TestConfigChanged: every request that may change the configuration
// announces it after its change is stored and before it answers; reads do
// not.
func TestConfigChanged(t *testing.T) {
	b := setup(t)
	var calls atomic.Int64
	var stored atomic.Bool // whether the client existed when the last call came
	b.h.ConfigChanged = func() {
		calls.Add(1)
		list, _, err := b.db.ClientList(context.Background(), store.PageParams{PerPage: 100})
		if err != nil {
			t.Error(err)
			return
		}
		found := false
		for _, c := range list {
			found = found || c.Name == "announced"
		}
		stored.Store(found)
	}
	created := b.must(http.StatusCreated, "POST", "/api/v2/clients", map[string]any{"name": "announced"}).object(t)
	if calls.Load() != 1 || !stored.Load() {
		t.Fatalf("after POST: %d calls, client stored at the call: %v; want 1, true", calls.Load(), stored.Load())
	}
	b.must(http.StatusOK, "GET", "/api/v2/clients", nil)
	b.must(http.StatusOK, "GET", "/api/v2/clients/"+created["client_id"].(string), nil)
	if calls.Load() != 1 {
		t.Fatalf("reads announced changes: %d calls", calls.Load())
	}
	b.must(http.StatusOK, "PATCH", "/api/v2/clients/"+created["client_id"].(string), map[string]any{"name": "renamed"})
	b.must(http.StatusNoContent, "DELETE", "/api/v2/clients/"+created["client_id"].(string), nil)
	if calls.Load() != 3 {
		t.Fatalf("after PATCH and DELETE: %d calls, want 3", calls.Load())
	}
}
