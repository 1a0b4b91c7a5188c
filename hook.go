package keyhook

import "time"

// Hook is a legacy Auth0 Hook. Secrets are kept apart (see store) because
// they are write-only through the API.
type Hook struct {
	ID        string
	Name      string
	Script    string
	TriggerID TriggerID
	Enabled   bool
	// Dependencies are npm name -> version as the user gave them (exact, a
	// range, "latest" or blank); the API shows them so.
	Dependencies map[string]string
	// Bundle is Script bundled with its dependencies (and the packages its
	// require('name@version') calls name), built when the hook is saved, and
	// BundleHash its "sha256-<hex>" digest. Both are empty when the script
	// names no package: it then runs as written.
	Bundle     string
	BundleHash string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Code is what runs: the bundle when the hook has one, else its script.
func (h *Hook) Code() string {
	if h.Bundle != "" {
		return h.Bundle
	}
	return h.Script
}

// HookSecretValueNotShown is what the API returns in place of a secret value.
const HookSecretValueNotShown = "_VALUE_NOT_SHOWN_"
