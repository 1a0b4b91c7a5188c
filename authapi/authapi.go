// Package authapi serves the user-facing parts of the Authentication API
// that are not OAuth: database signup today (POST /dbconnections/signup),
// password change requests and passwordless later. Blocking triggers run here
// before anything is stored; non-blocking ones are enqueued in the same
// transaction as the change.
//
// It imports the domain package, store, trigger, password, tenantlog,
// inputcheck, reqlog and ratelimit.
package authapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/ratelimit"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/tenantlog"
	"github.com/keyhook/keyhook/trigger"
)

// Handler serves the Authentication API routes of this package.
type Handler struct {
	Store    store.Store
	Triggers *trigger.Engine
	// Logs stores log entries written outside a transaction with group
	// commit; nil writes each in a transaction of its own.
	Logs   *tenantlog.Writer
	Logger *slog.Logger
	Now    func() time.Time

	// SignupsPerIP throttles signups per IP address (Auth0's suspicious IP
	// throttling); nil does not throttle.
	SignupsPerIP *ratelimit.Limiter
}

// writeLog stores e outside any transaction and returns once it is
// durable; a client that disconnects meanwhile does not cancel it.
func (h *Handler) writeLog(ctx context.Context, e *keyhook.LogEntry) error {
	return tenantlog.WriteOutsideTx(ctx, h.Logs, h.Store, e)
}

// Mount registers the routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("POST /dbconnections/signup", h.signup)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// legacyError is the error shape /dbconnections/* still answers with and
// clients parse: {name, code, description, statusCode}.
type legacyError struct {
	Name        string `json:"name"`
	Code        string `json:"code"`
	Description any    `json:"description"`
	StatusCode  int    `json:"statusCode"`
}

// WriteInputError answers a request to /dbconnections/… whose path or query
// failed the server's input check, in the legacy error shape. It reports
// false for other paths.
func (h *Handler) WriteInputError(w http.ResponseWriter, r *http.Request, err error) bool {
	if !strings.HasPrefix(r.URL.Path, "/dbconnections/") {
		return false
	}
	writeLegacyError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", "Invalid request: "+err.Error())
	return true
}

func writeLegacyError(w http.ResponseWriter, status int, name, code string, description any) {
	writeJSON(w, status, legacyError{Name: name, Code: code, Description: description, StatusCode: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
