package oauth

import (
	"encoding/json"
	"net/http"
)

// tokenError is an OAuth error answer: {error, error_description,
// error_uri?} with its HTTP status. Descriptions follow Auth0's wording,
// because SDKs and users match on them.
type tokenError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
	URI         string `json:"error_uri,omitempty"`
	// retryAfter is the Retry-After header of a limit's 429, in seconds.
	retryAfter string
	// logType replaces the grant's failure log type (limit_wc, limit_mu).
	logType string
}

func (e *tokenError) Error() string { return e.Code + ": " + e.Description }

func invalidRequest(desc string) *tokenError {
	return &tokenError{Status: http.StatusBadRequest, Code: "invalid_request", Description: desc}
}

func missingParam(name string) *tokenError {
	return invalidRequest("Missing required parameter: " + name)
}

// errUnauthorized is what Auth0 answers for an unknown client, a wrong
// secret, or a confidential client that sent none (not RFC 6749's
// invalid_client).
func errUnauthorized() *tokenError {
	return &tokenError{Status: http.StatusUnauthorized, Code: "access_denied", Description: "Unauthorized"}
}

func accessDenied(desc string) *tokenError {
	return &tokenError{Status: http.StatusForbidden, Code: "access_denied", Description: desc}
}

func serverError() *tokenError {
	return &tokenError{Status: http.StatusInternalServerError, Code: "server_error", Description: "Internal error"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error","error_description":"Internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// RFC 6749 §5.1: token responses must not be cached.
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
