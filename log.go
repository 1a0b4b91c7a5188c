package keyhook

import "time"

// LogEntry is one tenant log event, shaped like Auth0's log object.
type LogEntry struct {
	LogID        string // 56 digits, lexical order follows time
	Date         time.Time
	Type         string // Auth0 type code: ss, fs, seccft, …
	Description  string
	Connection   string
	ConnectionID string
	ClientID     string
	ClientName   string
	IP           string
	Hostname     string
	UserID       string
	UserName     string
	Audience     string
	Scope        string
	Strategy     string
	StrategyType string
	UserAgent    string
	// Details is free-form: request/response summaries and, for operations
	// that ran extensibility code, details.hooks (one HookExecution each).
	Details map[string]any
}

// Log type codes keyhook writes (Auth0's codes).
const (
	LogSuccessSignup                  = "ss"
	LogFailedSignup                   = "fs"
	LogSuccessLogin                   = "s"
	LogFailedLogin                    = "f"
	LogWrongPassword                  = "fp"
	LogInvalidUser                    = "fu"
	LogSuccessCredentialsExchange     = "seccft"
	LogFailedCredentialsExchange      = "feccft"
	LogSuccessPasswordExchange        = "sepft"
	LogFailedPasswordExchange         = "fepft"
	LogSuccessChangePassword          = "scp"
	LogFailedChangePassword           = "fcp"
	LogFailedPostChangePasswordHook   = "fcph"
	LogFailedPostUserRegistrationHook = "fpurh"
	LogSuccessAPIOperation            = "sapi"
	LogAPILimit                       = "api_limit"
	LogBlockedAccount                 = "limit_wc"
	LogBlockedIP                      = "limit_mu"
)

// HookExecution is the record of one hook run, attached to the log entry of
// the operation that ran it (details.hooks).
type HookExecution struct {
	HookID     string          `json:"id"`
	Name       string          `json:"name"`
	TriggerID  TriggerID       `json:"trigger_id"`
	DurationMS float64         `json:"duration_ms"`
	Error      *ExecutionError `json:"error"`
	Logs       string          `json:"logs"`
}

// ExecutionError is a script failure as the script raised it (or as the
// runtime described a timeout or limit).
type ExecutionError struct {
	Name            string `json:"name"`
	Message         string `json:"message"`
	FriendlyMessage string `json:"friendlyMessage,omitempty"`
}
