package authapi

import (
	"net/http"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/password"
	"github.com/keyhook/keyhook/ratelimit"
)

// throttleSignup spends one of the IP's signups (Auth0's suspicious IP
// throttling counts every attempt, successful or not) and answers 429 with
// Retry-After when none is left. The first refusal of an episode writes a
// limit_mu log entry; the rest of a flood writes nothing.
func (h *Handler) throttleSignup(w http.ResponseWriter, r *http.Request) bool {
	d := h.SignupsPerIP.Allow(ratelimit.IPKey(clientIP(r)))
	if d.Allowed {
		return true
	}
	if d.FirstRefused {
		e := &keyhook.LogEntry{
			Type:        keyhook.LogBlockedIP,
			Date:        h.now(),
			Description: "An IP address is blocked because it attempted too many sign-ups, whether successful or failed.",
			IP:          clientIP(r),
			Hostname:    r.Host,
			UserAgent:   r.UserAgent(),
		}
		if err := h.writeLog(r.Context(), e); err != nil {
			h.logger().ErrorContext(r.Context(), "write limit_mu log", "err", err)
		}
	}
	w.Header().Set("Retry-After", d.RetryAfterSeconds())
	writeLegacyError(w, http.StatusTooManyRequests, "TooManyRequestsError", "too_many_attempts",
		"Too many sign-up attempts from this IP address. Retry later.")
	return false
}

// strengthError is Auth0's PasswordStrengthError answer: the legacy shape
// with a message, every rule of the connection's policy and whether the
// password met it (description), and the policy as text.
type strengthError struct {
	Name        string              `json:"name"`
	Message     string              `json:"message"`
	Code        string              `json:"code"`
	Description strengthDescription `json:"description"`
	Policy      string              `json:"policy"`
	StatusCode  int                 `json:"statusCode"`
}

type strengthDescription struct {
	Rules    []password.Rule `json:"rules"`
	Verified bool            `json:"verified"`
}

func writeStrengthError(w http.ResponseWriter, e *password.StrengthError) {
	writeJSON(w, http.StatusBadRequest, strengthError{
		Name:        "PasswordStrengthError",
		Message:     e.Error(),
		Code:        "invalid_password",
		Description: strengthDescription{Rules: e.Rules},
		Policy:      e.Policy,
		StatusCode:  http.StatusBadRequest,
	})
}
