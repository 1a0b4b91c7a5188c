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

// HookSecretValueNotShown is what the API returns in place of a secret value.
const HookSecretValueNotShown = "_VALUE_NOT_SHOWN_"
