package keyhook

import (
	"regexp"
	"testing"
	"time"
)

func TestNewActionIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		for _, id := range []string{NewActionID(), NewActionVersionID(), NewBindingID()} {
			if !uuid.MatchString(id) || seen[id] {
				t.Fatalf("id %q: not a fresh version 4 UUID", id)
			}
			seen[id] = true
		}
	}
	if id := NewExecutionID(); len(id) != 32 {
		t.Fatalf("execution id %q", id)
	}
}

// TestActionTriggers: each trigger actions may support has exactly one
// current version, whose default runtime is among its runtimes.
func TestActionTriggers(t *testing.T) {
	current := map[TriggerID]int{}
	for _, tr := range ActionTriggers {
		if tr.Status == "CURRENT" {
			current[tr.ID]++
		}
		found := false
		for _, r := range tr.Runtimes {
			found = found || r == tr.DefaultRuntime
		}
		if !found {
			t.Errorf("%s %s: default runtime %q is not among %v", tr.ID, tr.Version, tr.DefaultRuntime, tr.Runtimes)
		}
	}
	for _, id := range []TriggerID{TriggerPostLogin, TriggerCredentialsExchange, TriggerPreUserRegistration,
		TriggerPostUserRegistration, TriggerPostChangePassword, TriggerSendPhoneMessage} {
		if current[id] != 1 || !ValidActionTrigger(id) {
			t.Errorf("%s: %d current versions", id, current[id])
		}
	}
	if _, ok := LookupActionTrigger(TriggerPostLogin, "v3"); !ok {
		t.Error("post-login v3 not found")
	}
	for _, bad := range [][2]string{{"post-login", "v4"}, {"custom-token-exchange", "v1"}, {"", ""}} {
		if _, ok := LookupActionTrigger(TriggerID(bad[0]), bad[1]); ok {
			t.Errorf("%v found", bad)
		}
	}
}

// TestCopyDraftTo: a version shares no list with the draft it was copied
// from, so later edits of the draft cannot reach it.
func TestCopyDraftTo(t *testing.T) {
	built := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	a := &Action{
		Code: "c", Runtime: "node22", Bundle: "b", BundleHash: "h", BuiltAt: &built,
		SupportedTriggers: []TriggerRef{{ID: TriggerPostLogin, Version: "v3"}},
		Dependencies:      []Dependency{{Name: "lodash", Version: "4.17.21"}},
		Secrets:           []ActionSecret{{Name: "K", Value: "v"}},
	}
	var v ActionVersion
	a.CopyDraftTo(&v)
	a.Secrets[0].Value, a.Dependencies[0].Version, a.SupportedTriggers[0].Version = "changed", "5", "v2"
	if v.Secrets[0].Value != "v" || v.Dependencies[0].Version != "4.17.21" || v.SupportedTriggers[0].Version != "v3" ||
		v.Code != "c" || v.Bundle != "b" || v.BundleHash != "h" || !v.BuiltAt.Equal(built) || !v.Supports(TriggerPostLogin) {
		t.Fatalf("version %+v", v)
	}
	var rolled ActionVersion
	v.CopyTo(&rolled)
	v.Dependencies[0].Version = "6"
	if rolled.Dependencies[0].Version != "4.17.21" {
		t.Fatal("CopyTo shares the dependencies")
	}
	a.RestoreDraft(&rolled)
	if a.Status != ActionBuilt || a.Revision != 1 || a.Secrets[0].Value != "changed" || a.Dependencies[0].Version != "4.17.21" {
		t.Fatalf("restored draft %+v", a)
	}
}
