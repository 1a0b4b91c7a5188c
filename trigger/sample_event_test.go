package trigger

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/keyhook/keyhook"
)

// lookup walks a dotted path through nested maps.
func lookup(ev map[string]any, path string) (any, bool) {
	var cur any = ev
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// TestSampleActionEvent: each trigger's sample carries the fields Auth0's
// event reference gives that trigger (and not those it lacks), is plain
// JSON, and is new on every call.
func TestSampleActionEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		trigger keyhook.TriggerID
		has     []string
		lacks   []string
	}{
		{keyhook.TriggerPostLogin,
			[]string{"user.user_id", "user.email", "user.app_metadata", "user.user_metadata", "user.identities", "user.multifactor",
				"client.client_id", "client.name", "client.metadata", "connection.id", "connection.name", "connection.strategy",
				"request.ip", "request.method", "request.user_agent", "request.geoip.countryCode", "request.query", "request.body",
				"stats.logins_count", "transaction.protocol", "transaction.requested_scopes", "authentication.methods",
				"authorization.roles", "resource_server.identifier", "session.id"},
			[]string{"message_options", "accessToken"}},
		{keyhook.TriggerCredentialsExchange,
			[]string{"accessToken.scope", "accessToken.customClaims", "client.client_id", "request.ip", "request.body",
				"resource_server.identifier", "transaction.requested_scopes"},
			[]string{"user", "connection", "request.query"}},
		{keyhook.TriggerPreUserRegistration,
			[]string{"user.email", "user.user_metadata", "user.app_metadata", "connection.name", "client.client_id",
				"request.body", "transaction.protocol"},
			[]string{"user.user_id", "stats", "request.query"}},
		{keyhook.TriggerPostUserRegistration,
			[]string{"user.user_id", "user.created_at", "user.identities", "connection.strategy", "request.ip"},
			[]string{"request.body", "client", "stats"}},
		{keyhook.TriggerPostChangePassword,
			[]string{"user.user_id", "user.email", "user.last_password_reset", "connection.name", "request.ip"},
			[]string{"user.app_metadata", "client"}},
		{keyhook.TriggerSendPhoneMessage,
			[]string{"message_options.recipient", "message_options.text", "message_options.code", "message_options.action",
				"message_options.message_type", "user.user_id", "user.phone_number", "client.client_id", "request.ip"},
			[]string{"connection", "stats"}},
	} {
		t.Run(string(tc.trigger), func(t *testing.T) {
			t.Parallel()
			ev := SampleActionEvent(tc.trigger, "acme")
			if id, _ := lookup(ev, "tenant.id"); id != "acme" {
				t.Errorf("tenant.id %v", id)
			}
			if s, ok := lookup(ev, "secrets"); !ok || !reflect.DeepEqual(s, map[string]any{}) {
				t.Errorf("secrets %v, want {}", s)
			}
			for _, p := range tc.has {
				if _, ok := lookup(ev, p); !ok {
					t.Errorf("event lacks %s", p)
				}
			}
			for _, p := range tc.lacks {
				if _, ok := lookup(ev, p); ok {
					t.Errorf("event has %s, which Auth0's %s event does not", p, tc.trigger)
				}
			}

			// Plain JSON: a round trip gives the same value.
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, ev) {
				t.Fatalf("not JSON-shaped:\n%#v\n%#v", ev, back)
			}

			// New on every call: changing one sample changes no other.
			for _, v := range ev {
				if m, ok := v.(map[string]any); ok {
					m["changed"] = true
				}
			}
			if again := SampleActionEvent(tc.trigger, "acme"); !reflect.DeepEqual(again, back) {
				t.Fatal("a caller's change leaked into the next sample")
			}
		})
	}
	if got := SampleActionEvent("custom-token-exchange", "acme"); !reflect.DeepEqual(got, map[string]any{
		"tenant": map[string]any{"id": "acme"}, "secrets": map[string]any{},
	}) {
		t.Fatalf("unknown trigger: %v", got)
	}
}
