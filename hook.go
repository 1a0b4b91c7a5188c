package keyhook

import "time"

// Hook is a legacy Auth0 Hook. Secrets are kept apart (see store) because
// they are write-only through the API.
type Hook struct {
	ID           string
	Name         string
	Script       string
	TriggerID    TriggerID
	Enabled      bool
	Dependencies map[string]string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Limits Auth0 applies to hooks.
const (
	MaxHookSecrets = 20
	// MaxScriptBytes bounds a hook's script (Auth0 allows 100 kB for rules
	// and actions; hooks inherit the webtask limit of the same order).
	MaxScriptBytes = 100 * 1024
)

// HookSecretValueNotShown is what the API returns in place of a secret value.
const HookSecretValueNotShown = "_VALUE_NOT_SHOWN_"
