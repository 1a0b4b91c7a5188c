package authapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/inputcheck"
	"github.com/keyhook/keyhook/password"
	"github.com/keyhook/keyhook/reqlog"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/tenantlog"
	"github.com/keyhook/keyhook/trigger"
)

const maxSignupBody = 64 << 10

// signupRequest is the body of POST /dbconnections/signup.
type signupRequest struct {
	ClientID     string         `json:"client_id"`
	ClientSecret string         `json:"client_secret"`
	Connection   string         `json:"connection"`
	Email        string         `json:"email"`
	Password     string         `json:"password"`
	Username     string         `json:"username"`
	PhoneNumber  string         `json:"phone_number"`
	GivenName    string         `json:"given_name"`
	FamilyName   string         `json:"family_name"`
	Name         string         `json:"name"`
	Nickname     string         `json:"nickname"`
	Picture      string         `json:"picture"`
	UserMetadata map[string]any `json:"user_metadata"`
}

// parseSignup decodes and validates a signup body. The returned message is
// user-facing.
func parseSignup(body []byte) (*signupRequest, string) {
	if err := inputcheck.JSON(body); err != nil {
		return nil, "Invalid request body: " + err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req signupRequest
	if err := dec.Decode(&req); err != nil {
		return nil, "Invalid request body: " + strings.TrimPrefix(err.Error(), "json: ")
	}
	if dec.More() {
		return nil, "Invalid request body: trailing data"
	}
	for _, f := range []struct {
		name  string
		value string
		max   int
	}{
		{"client_id", req.ClientID, keyhook.MaxClientIDLen}, {"client_secret", req.ClientSecret, keyhook.MaxClientSecretLen},
		{"connection", req.Connection, keyhook.MaxConnectionNameLen}, {"email", req.Email, keyhook.MaxEmailLen},
		{"password", req.Password, keyhook.MaxPasswordLen}, {"username", req.Username, keyhook.MaxUsernameLen},
		{"phone_number", req.PhoneNumber, keyhook.MaxPhoneNumberLen}, {"given_name", req.GivenName, keyhook.MaxGivenNameLen},
		{"family_name", req.FamilyName, keyhook.MaxFamilyNameLen}, {"name", req.Name, keyhook.MaxNameLen},
		{"nickname", req.Nickname, keyhook.MaxNicknameLen}, {"picture", req.Picture, keyhook.MaxURLLen},
	} {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			return nil, fmt.Sprintf("%s is too long (%d characters, maximum %d)", f.name, n, f.max)
		}
	}
	switch {
	case req.Connection == "":
		return nil, "Missing required parameter: connection"
	case req.Email == "":
		return nil, "Missing required parameter: email"
	case req.Password == "":
		return nil, "Missing required parameter: password"
	}
	if !validEmail(req.Email) {
		return nil, "Invalid email address"
	}
	if len(req.UserMetadata) > keyhook.MaxSignupMetadataFields {
		return nil, fmt.Sprintf("user_metadata must have at most %d properties", keyhook.MaxSignupMetadataFields)
	}
	for k, v := range req.UserMetadata {
		if utf8.RuneCountInString(k) > keyhook.MaxSignupMetadataKeyLen {
			return nil, fmt.Sprintf("user_metadata property name %q… is longer than %d characters", string([]rune(k)[:20]), keyhook.MaxSignupMetadataKeyLen)
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Sprintf("user_metadata.%s must be a string", k)
		}
		if utf8.RuneCountInString(s) > keyhook.MaxSignupMetadataValueLen {
			return nil, fmt.Sprintf("user_metadata.%s is longer than %d characters", k, keyhook.MaxSignupMetadataValueLen)
		}
	}
	return &req, ""
}

func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n")
}

func (h *Handler) signup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.throttleSignup(w, r) {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSignupBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		// hapi's wording, which Auth0's Authentication API answers with.
		writeLegacyError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeError", "payload_too_large",
			fmt.Sprintf("Payload content length greater than maximum allowed: %d", tooLarge.Limit))
		return
	}
	if err != nil {
		writeLegacyError(w, http.StatusBadRequest, "BadRequestError", "invalid_signup", "Could not read the request body")
		return
	}
	req, msg := parseSignup(body)
	if req == nil {
		writeLegacyError(w, http.StatusBadRequest, "BadRequestError", "invalid_signup", msg)
		return
	}
	reqlog.SetClientID(ctx, req.ClientID)
	conn, err := h.Store.ConnectionGetByName(ctx, req.Connection)
	if errors.Is(err, store.ErrNotFound) || (err == nil && conn.Strategy != "auth0") {
		writeLegacyError(w, http.StatusBadRequest, "BadRequestError", "invalid_signup", "Connection does not exist or is not a database connection")
		return
	}
	if err != nil {
		h.internal(w, "load connection", err)
		return
	}
	var client *keyhook.Client
	if req.ClientID != "" {
		client, err = h.Store.ClientGet(ctx, req.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			writeLegacyError(w, http.StatusBadRequest, "BadRequestError", "invalid_signup", "Unknown client: "+req.ClientID)
			return
		}
		if err != nil {
			h.internal(w, "load client", err)
			return
		}
	}
	policy, err := password.NewPolicy(conn.PasswordPolicy, conn.PasswordMinLength)
	if err != nil {
		h.internal(w, "password policy of "+conn.Name, err)
		return
	}
	if serr := policy.Check(req.Password); serr != nil {
		writeStrengthError(w, serr)
		return
	}
	now := h.now()
	u := &keyhook.User{
		ID:           keyhook.NewDatabaseUserID(),
		Connection:   conn.Name,
		Email:        strings.ToLower(req.Email),
		Username:     req.Username,
		PhoneNumber:  req.PhoneNumber,
		GivenName:    req.GivenName,
		FamilyName:   req.FamilyName,
		Name:         req.Name,
		Nickname:     req.Nickname,
		Picture:      req.Picture,
		UserMetadata: req.UserMetadata,
		AppMetadata:  map[string]any{},
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if u.UserMetadata == nil {
		u.UserMetadata = map[string]any{}
	}
	if exists, err := h.userExists(ctx, u); err != nil {
		h.internal(w, "check user", err)
		return
	} else if exists {
		h.failLog(ctx, r, u, conn, client, "The user already exists.", nil, nil)
		writeLegacyError(w, http.StatusBadRequest, "BadRequestError", "user_exists", "The user already exists.")
		return
	}

	pre, err := h.Triggers.PreUserRegistration(ctx, trigger.PreUserRegistration{
		User: u, Password: req.Password, Connection: conn,
		RequestLanguage: r.Header.Get("Accept-Language"), IP: clientIP(r),
		Client: client, UserAgent: r.UserAgent(), Hostname: r.Host,
	})
	if d, ok := trigger.IsDeny(err); ok {
		h.failLog(ctx, r, u, conn, client, d.Message, pre.Executions, pre.Actions)
		// Auth0 answers API clients with the error's first argument; the
		// friendly message is for its hosted login pages. A failing (not
		// denying) hook's text is never surfaced.
		desc := d.Message
		if d.Failure {
			desc = d.FriendlyMessage
		}
		if d.UserMessage != "" {
			desc = d.UserMessage
		}
		writeLegacyError(w, http.StatusBadRequest, "BadRequestError", "extensibility_error", desc)
		return
	}
	if err != nil {
		h.internal(w, "pre-user-registration", err)
		return
	}
	if pre.UserMetadata != nil {
		u.UserMetadata = pre.UserMetadata
	}
	if pre.AppMetadata != nil {
		u.AppMetadata = pre.AppMetadata
	}
	if u.PasswordHash, err = password.Hash(req.Password, password.DefaultParams); err != nil {
		h.internal(w, "hash password", err)
		return
	}

	clientID := ""
	if client != nil {
		clientID = client.ClientID
	}
	err = h.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UserCreate(ctx, u); err != nil {
			return err
		}
		if err := h.Triggers.EnqueuePostUserRegistration(ctx, tx, trigger.PostUserRegistration{
			User: u, Connection: conn, RequestLanguage: r.Header.Get("Accept-Language"), ClientID: clientID,
		}); err != nil {
			return err
		}
		entry := h.logEntry(r, keyhook.LogSuccessSignup, u, conn, client)
		tenantlog.WithExecutions(entry, pre.Executions)
		pre.Actions.AddTo(entry)
		return tenantlog.Write(ctx, tx, entry)
	})
	if errors.Is(err, store.ErrConflict) {
		h.failLog(ctx, r, u, conn, client, "The user already exists.", pre.Executions, pre.Actions)
		writeLegacyError(w, http.StatusBadRequest, "BadRequestError", "user_exists", "The user already exists.")
		return
	}
	if err != nil {
		h.internal(w, "store user", err)
		return
	}
	writeJSON(w, http.StatusOK, signupResponse(u))
}

func (h *Handler) userExists(ctx context.Context, u *keyhook.User) (bool, error) {
	_, err := h.Store.UserGetByEmail(ctx, u.Connection, u.Email)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if u.Username == "" {
		return false, nil
	}
	_, err = h.Store.UserGetByUsername(ctx, u.Connection, u.Username)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return false, err
}

// signupResponse is Auth0's signup answer: the bare id and the profile
// fields that were given.
func signupResponse(u *keyhook.User) map[string]any {
	out := map[string]any{"_id": u.BareID(), "email": u.Email, "email_verified": u.EmailVerified}
	for k, v := range map[string]string{
		"username": u.Username, "phone_number": u.PhoneNumber, "given_name": u.GivenName,
		"family_name": u.FamilyName, "name": u.Name, "nickname": u.Nickname, "picture": u.Picture,
	} {
		if v != "" {
			out[k] = v
		}
	}
	if u.PhoneNumber != "" {
		out["phone_verified"] = u.PhoneVerified
	}
	if len(u.UserMetadata) > 0 {
		out["user_metadata"] = u.UserMetadata
	}
	return out
}

func (h *Handler) logEntry(r *http.Request, typ string, u *keyhook.User, conn *keyhook.Connection, client *keyhook.Client) *keyhook.LogEntry {
	e := &keyhook.LogEntry{
		Type:         typ,
		Date:         h.now(),
		Connection:   conn.Name,
		ConnectionID: conn.ID,
		IP:           clientIP(r),
		Hostname:     r.Host,
		UserName:     u.LogName(),
		UserAgent:    r.UserAgent(),
		Strategy:     conn.Strategy,
		StrategyType: "database",
	}
	if typ == keyhook.LogSuccessSignup {
		e.UserID = u.ID
	}
	if client != nil {
		e.ClientID, e.ClientName = client.ClientID, client.Name
	}
	return e
}

// failLog records a failed signup (fs). A failure to log is reported, not
// returned: the user's answer does not depend on it.
func (h *Handler) failLog(ctx context.Context, r *http.Request, u *keyhook.User, conn *keyhook.Connection, client *keyhook.Client, description string, execs []keyhook.HookExecution, acts *trigger.Actions) {
	e := h.logEntry(r, keyhook.LogFailedSignup, u, conn, client)
	e.Description = description
	tenantlog.WithExecutions(e, execs)
	acts.AddTo(e)
	if err := h.writeLog(ctx, e); err != nil {
		h.logger().ErrorContext(ctx, "write signup failure log", "err", err)
	}
}

func (h *Handler) internal(w http.ResponseWriter, what string, err error) {
	h.logger().Error("signup failed", "step", what, "err", err)
	writeLegacyError(w, http.StatusInternalServerError, "InternalServerError", "internal_error", "Internal error")
}

// clientIP is the peer address; X-Forwarded-For is not trusted by default.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
