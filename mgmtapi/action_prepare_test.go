package mgmtapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
)

// TestDeployPreparesVersion: a deploy (and a rollback) compiles the version
// and initialises a runtime in the slot the chain runs it from, so the
// first execution pays no boot.
func TestDeployPreparesVersion(t *testing.T) {
	b := setup(t)
	code := "let inits = 0; inits++;\nexports.onExecutePostLogin = async (event, api) => { console.log('inits', inits); };"
	id := b.createAction("prepared", keyhook.TriggerPostLogin, map[string]any{"code": code})["id"].(string)
	b.buildActions()
	for _, path := range []string{"/deploy", ""} {
		var v map[string]any
		if path == "/deploy" {
			v = b.must(http.StatusOK, "POST", "/api/v2/actions/actions/"+id+"/deploy", nil).object(t)
		} else {
			list := b.must(http.StatusOK, "GET", "/api/v2/actions/actions/"+id+"/versions", nil).object(t)
			first := list["versions"].([]any)[0].(map[string]any)["id"].(string)
			v = b.must(http.StatusOK, "POST", "/api/v2/actions/actions/"+id+"/versions/"+first+"/deploy", map[string]any{}).object(t)
		}
		stored, err := b.db.ActionVersionGet(context.Background(), id, v["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		res := b.h.JS.RunAction(context.Background(), jsrt.ActionCall{
			Script: stored.Bundle, Trigger: keyhook.TriggerPostLogin, Event: map[string]any{},
			Slot: "action:" + id + ":" + stored.ID,
		})
		if res.Error != nil {
			t.Fatal(res.Error)
		}
		if res.BootDuration != 0 {
			t.Errorf("%s: first execution after the deploy booted for %s", path, res.BootDuration)
		}
	}
}
