package mgmtapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/store"
)

// apiError is an answer in Auth0's error shape. Handlers return one (or an
// error wrapping one) and writeError renders it; nothing else writes errors.
type apiError struct {
	Status    int
	Message   string
	ErrorCode string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// errorBody is the wire shape: {statusCode, error, message, errorCode}.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
}

func newError(status int, code, format string, a ...any) *apiError {
	return &apiError{Status: status, ErrorCode: code, Message: fmt.Sprintf(format, a...)}
}

// badBody is a 400 for a request body that fails validation.
func badBody(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, "invalid_body", format, a...)
}

// payloadError words a body schema failure as Auth0 does.
func payloadError(format string, a ...any) *apiError {
	return badBody("Payload validation error: %s.", fmt.Sprintf(format, a...))
}

// badQuery is a 400 for a query string that fails validation.
func badQuery(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, "invalid_query_string", "Query validation error: %s.", fmt.Sprintf(format, a...))
}

func conflict(code, format string, a ...any) *apiError {
	return newError(http.StatusConflict, code, format, a...)
}

// Not-found answers per resource, as Auth0 words them.
var (
	errHookNotFound           = &apiError{Status: http.StatusNotFound, Message: "Error: Hook does not exist", ErrorCode: "HookDoesNotExist"}
	errUserNotFound           = &apiError{Status: http.StatusNotFound, Message: "The user does not exist.", ErrorCode: "inexistent_user"}
	errClientNotFound         = &apiError{Status: http.StatusNotFound, Message: "The client does not exist", ErrorCode: "inexistent_client"}
	errResourceServerNotFound = &apiError{Status: http.StatusNotFound, Message: "The resource server does not exist", ErrorCode: "inexistent_resource_server"}
	errClientGrantNotFound    = &apiError{Status: http.StatusNotFound, Message: "The client grant does not exist", ErrorCode: "inexistent_client_grant"}
	errLogNotFound            = &apiError{Status: http.StatusNotFound, Message: "log not found", ErrorCode: "inexistent_log"}
	errRouteNotFound          = &apiError{Status: http.StatusNotFound, Message: "Not Found"}
	errUserExists             = &apiError{Status: http.StatusConflict, Message: "The user already exists.", ErrorCode: "auth0_idp_error"}
)

// notFoundAs maps store.ErrNotFound to the resource's 404 and leaves other
// errors as they are.
func notFoundAs(err error, nf *apiError) error {
	if errors.Is(err, store.ErrNotFound) {
		return nf
	}
	return err
}

// writeError renders err. An *apiError anywhere in the chain is the answer;
// a bare store conflict is a 409; a script syntax error is a 400; anything
// else is logged and answered with a 500 that reveals nothing.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var se *jsrt.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &mbe):
		// hapi's wording, which Auth0's APIs answer with.
		ae = newError(http.StatusRequestEntityTooLarge, "", "Payload content length greater than maximum allowed: %d", mbe.Limit)
	case errors.As(err, &se):
		ae = badBody("Script syntax error at line %d, column %d: %s", se.Line, se.Column, se.Message)
	case errors.Is(err, keyhook.ErrConflict):
		ae = conflict("", "The request conflicts with an existing resource")
	case errors.Is(err, keyhook.ErrNotFound):
		ae = errRouteNotFound
	default:
		h.logger().ErrorContext(r.Context(), "management api request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
		ae = &apiError{Status: http.StatusInternalServerError, Message: "Internal error"}
	}
	writeJSON(w, ae.Status, errorBody{
		StatusCode: ae.Status,
		Error:      http.StatusText(ae.Status),
		Message:    ae.Message,
		ErrorCode:  ae.ErrorCode,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	// Scripts are full of => and <: Auth0 sends them as they are, and so do
	// we (the Content-Type is JSON, so no HTML escaping is needed).
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if err != nil {
		// Our own views always marshal; this is a programming error.
		http.Error(w, `{"statusCode":500,"error":"Internal Server Error","message":"Internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
