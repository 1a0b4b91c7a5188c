package oauth

import (
	"fmt"
	"net/http"
	"strings"
)

// errBodyTooLarge is the 413 of a body over MaxBodyBytes, in hapi's wording,
// which Auth0's Authentication API answers with.
func errBodyTooLarge(limit int64) *tokenError {
	return &tokenError{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request",
		Description: fmt.Sprintf("Payload content length greater than maximum allowed: %d", limit)}
}

// methodNotAllowed answers the token endpoint's methods other than POST.
func (h *Handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	writeJSON(w, http.StatusMethodNotAllowed, &tokenError{Code: "invalid_request",
		Description: "The token endpoint takes POST requests only"})
}

// WriteInputError answers a request to /oauth/… whose path or query failed
// the server's input check, as an OAuth invalid_request that is not cached.
// It reports false for other paths.
func (h *Handler) WriteInputError(w http.ResponseWriter, r *http.Request, err error) bool {
	if !strings.HasPrefix(r.URL.Path, "/oauth/") {
		return false
	}
	writeJSON(w, http.StatusBadRequest, badText(err))
	return true
}
