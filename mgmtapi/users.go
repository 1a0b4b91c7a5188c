package mgmtapi

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/password"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/tenantlog"
	"github.com/keyhook/keyhook/trigger"
)

// timeFormat is Auth0's timestamp format: ISO 8601, milliseconds, UTC.
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func formatTimePtr(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return formatTime(*t)
}

type identityView struct {
	Connection string `json:"connection"`
	UserID     string `json:"user_id"`
	Provider   string `json:"provider"`
	IsSocial   bool   `json:"isSocial"`
}

// userView is a user as the API shows it. It has no password field.
type userView struct {
	UserID            string         `json:"user_id"`
	Email             string         `json:"email,omitempty"`
	EmailVerified     *bool          `json:"email_verified,omitempty"`
	Username          string         `json:"username,omitempty"`
	PhoneNumber       string         `json:"phone_number,omitempty"`
	PhoneVerified     *bool          `json:"phone_verified,omitempty"`
	Name              string         `json:"name,omitempty"`
	Nickname          string         `json:"nickname,omitempty"`
	Picture           string         `json:"picture,omitempty"`
	GivenName         string         `json:"given_name,omitempty"`
	FamilyName        string         `json:"family_name,omitempty"`
	CreatedAt         string         `json:"created_at"`
	UpdatedAt         string         `json:"updated_at"`
	Identities        []identityView `json:"identities"`
	AppMetadata       map[string]any `json:"app_metadata,omitempty"`
	UserMetadata      map[string]any `json:"user_metadata,omitempty"`
	LastLogin         string         `json:"last_login,omitempty"`
	LastIP            string         `json:"last_ip,omitempty"`
	LoginsCount       int64          `json:"logins_count"`
	Blocked           bool           `json:"blocked"`
	LastPasswordReset string         `json:"last_password_reset,omitempty"`
}

func viewUser(u *keyhook.User) userView {
	v := userView{
		UserID:            u.ID,
		Email:             u.Email,
		Username:          u.Username,
		PhoneNumber:       u.PhoneNumber,
		Name:              u.Name,
		Nickname:          u.Nickname,
		Picture:           u.Picture,
		GivenName:         u.GivenName,
		FamilyName:        u.FamilyName,
		CreatedAt:         formatTime(u.CreatedAt),
		UpdatedAt:         formatTime(u.UpdatedAt),
		Identities:        []identityView{{Connection: u.Connection, UserID: u.BareID(), Provider: u.Provider(), IsSocial: false}},
		AppMetadata:       u.AppMetadata,
		UserMetadata:      u.UserMetadata,
		LastLogin:         formatTimePtr(u.LastLogin),
		LastIP:            u.LastIP,
		LoginsCount:       u.LoginsCount,
		Blocked:           u.Blocked,
		LastPasswordReset: formatTimePtr(u.LastPasswordReset),
	}
	if u.Email != "" {
		ev := u.EmailVerified
		v.EmailVerified = &ev
	}
	if u.PhoneNumber != "" {
		pv := u.PhoneVerified
		v.PhoneVerified = &pv
	}
	return v
}

var (
	emailPattern = regexp.MustCompile(`^[^\s@]+@[^\s@]+$`)
	e164Pattern  = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// userInput is a validated create or update body; nil pointers were
// absent, clear lists the profile fields set to null (PATCH removes them).
type userInput struct {
	Connection, Email, PhoneNumber, Password, Username, UserID *string
	GivenName, FamilyName, Name, Nickname, Picture             *string
	ClientID                                                   *string
	UserMetadata, AppMetadata                                  map[string]any
	hasUserMetadata, hasAppMetadata                            bool
	Blocked, EmailVerified, PhoneVerified, VerifyEmail         *bool
	VerifyPhoneNumber                                          *bool
	clear                                                      map[string]bool
}

var userCreateProps = []string{
	"connection", "email", "phone_number", "password", "username", "user_id", "given_name", "family_name",
	"name", "nickname", "picture", "user_metadata", "app_metadata", "blocked", "email_verified",
	"phone_verified", "verify_email",
}

// userUpdateProps are the properties PATCH /users takes (Auth0's list): it
// refuses others, user_id included, with Auth0's advice (usersHint).
var userUpdateProps = []string{
	"blocked", "email_verified", "email", "phone_number", "phone_verified", "user_metadata", "app_metadata",
	"given_name", "family_name", "name", "nickname", "picture", "verify_email", "verify_phone_number",
	"password", "connection", "client_id", "username",
}

// clearable are the profile strings PATCH /users removes when set to null.
var clearable = []string{"given_name", "family_name", "name", "nickname", "picture"}

func parseUserBody(o object, update bool) (userInput, error) {
	in := userInput{clear: map[string]bool{}}
	strs := []struct {
		name string
		dst  **string
	}{
		{"connection", &in.Connection}, {"email", &in.Email}, {"phone_number", &in.PhoneNumber},
		{"password", &in.Password}, {"username", &in.Username}, {"user_id", &in.UserID},
		{"given_name", &in.GivenName}, {"family_name", &in.FamilyName}, {"name", &in.Name},
		{"nickname", &in.Nickname}, {"picture", &in.Picture}, {"client_id", &in.ClientID},
	}
	for _, s := range strs {
		if update && slices.Contains(clearable, s.name) && o.isNull(s.name) {
			in.clear[s.name] = true
			continue
		}
		var v string
		ok, err := field(o, s.name, &v)
		if err != nil {
			return in, err
		}
		if ok {
			*s.dst = &v
		}
	}
	bools := []struct {
		name string
		dst  **bool
	}{
		{"blocked", &in.Blocked}, {"email_verified", &in.EmailVerified}, {"phone_verified", &in.PhoneVerified},
		{"verify_email", &in.VerifyEmail}, {"verify_phone_number", &in.VerifyPhoneNumber},
	}
	for _, b := range bools {
		var v bool
		ok, err := field(o, b.name, &v)
		if err != nil {
			return in, err
		}
		if ok {
			*b.dst = &v
		}
	}
	var err error
	for _, m := range []struct {
		name string
		dst  *map[string]any
		has  *bool
	}{{"user_metadata", &in.UserMetadata, &in.hasUserMetadata}, {"app_metadata", &in.AppMetadata, &in.hasAppMetadata}} {
		if update && o.isNull(m.name) {
			*m.has, *m.dst = true, map[string]any{}
			continue
		}
		if *m.has, err = field(o, m.name, m.dst); err != nil {
			return in, err
		}
		for k := range *m.dst {
			if k == "" || strings.HasPrefix(k, "$") || strings.Contains(k, ".") {
				return in, payloadError("'Metadata property names must not be empty, start with $ or contain a dot: %q' on property %s", k, m.name)
			}
		}
	}

	if in.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*in.Email))
		if !emailPattern.MatchString(e) {
			return in, payloadError("'Object didn't pass validation for format email: %s' on property email (The user's email)", *in.Email)
		}
		in.Email = &e
	}
	if in.PhoneNumber != nil && !e164Pattern.MatchString(*in.PhoneNumber) {
		return in, payloadError("'Object didn't pass validation for format phone_number: %s' on property phone_number (The user's phone number in E.164 format)", *in.PhoneNumber)
	}
	// Lengths are checked with the body (limits.go) against keyhook's table.
	if in.Username != nil && (*in.Username == "" || strings.ContainsAny(*in.Username, " \t\r\n")) {
		return in, payloadError("'String does not match the username rules (1 to %d characters, no spaces): %s' on property username", keyhook.MaxUsernameLen, *in.Username)
	}
	if in.UserID != nil && *in.UserID == "" {
		return in, payloadError("'String length must be between 1 and %d' on property user_id", keyhook.MaxUserIDLen)
	}
	if in.Picture != nil {
		if u, err := url.Parse(*in.Picture); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return in, payloadError("'Object didn't pass validation for format absolute-uri: %s' on property picture", *in.Picture)
		}
	}
	return in, nil
}

// defaultPicture is a gravatar URL falling back to Auth0's initials avatar.
func defaultPicture(email, name string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	initials := "u"
	if name != "" {
		initials = strings.ToLower(string([]rune(name)[:min(2, len([]rune(name)))]))
	}
	fallback := url.QueryEscape("https://cdn.auth0.com/avatars/" + initials + ".png")
	return "https://s.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=480&r=pg&d=" + fallback
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(w, r, userCreateProps)
	if err != nil {
		return err
	}
	in, err := parseUserBody(o, false)
	if err != nil {
		return err
	}
	if in.Connection == nil {
		return missing("connection")
	}
	conn, err := h.Store.ConnectionGetByName(r.Context(), *in.Connection)
	if errors.Is(err, store.ErrNotFound) {
		return newError(http.StatusBadRequest, "inexistent_connection", "The connection does not exist.")
	}
	if err != nil {
		return fmt.Errorf("get connection: %w", err)
	}

	u := &keyhook.User{Connection: conn.Name}
	switch conn.Strategy {
	case "email":
		if in.Email == nil {
			return missing("email")
		}
	case "sms":
		if in.PhoneNumber == nil {
			return missing("phone_number")
		}
	default:
		if in.Email == nil && in.Username == nil {
			return missing("email")
		}
		if in.Password == nil {
			return missing("password")
		}
	}
	if in.Password != nil {
		if err := h.checkPassword(r, conn, *in.Password); err != nil {
			return err
		}
		if u.PasswordHash, err = password.Hash(*in.Password, password.DefaultParams); err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
	}

	provider := conn.Strategy
	if provider == "" {
		provider = "auth0"
	}
	if in.UserID != nil {
		u.ID = provider + "|" + *in.UserID
	} else if provider == "auth0" {
		u.ID = keyhook.NewDatabaseUserID()
	} else {
		u.ID = provider + "|" + keyhook.RandomHex(12)
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.Email, in.Email)
	set(&u.Username, in.Username)
	set(&u.PhoneNumber, in.PhoneNumber)
	set(&u.GivenName, in.GivenName)
	set(&u.FamilyName, in.FamilyName)
	set(&u.Name, in.Name)
	set(&u.Nickname, in.Nickname)
	set(&u.Picture, in.Picture)
	if in.EmailVerified != nil {
		u.EmailVerified = *in.EmailVerified
	}
	if in.PhoneVerified != nil {
		u.PhoneVerified = *in.PhoneVerified
	}
	if in.Blocked != nil {
		u.Blocked = *in.Blocked
	}
	u.UserMetadata, u.AppMetadata = in.UserMetadata, in.AppMetadata
	applyProfileDefaults(u)
	u.CreatedAt = h.now()
	u.UpdatedAt = u.CreatedAt

	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := ensureUserUnique(ctx, tx, u, true); err != nil {
			return err
		}
		if err := tx.UserCreate(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errUserExists
			}
			return fmt.Errorf("create user: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewUser(u))
	return nil
}

// applyProfileDefaults fills name, nickname and picture as Auth0 does for a
// new user.
func applyProfileDefaults(u *keyhook.User) {
	if u.Nickname == "" {
		switch {
		case u.Email != "":
			u.Nickname, _, _ = strings.Cut(u.Email, "@")
		case u.Username != "":
			u.Nickname = u.Username
		case u.PhoneNumber != "":
			u.Nickname = u.PhoneNumber
		}
	}
	if u.Name == "" {
		switch {
		case u.GivenName != "" && u.FamilyName != "":
			u.Name = u.GivenName + " " + u.FamilyName
		case u.Email != "":
			u.Name = u.Email
		case u.Username != "":
			u.Name = u.Username
		case u.PhoneNumber != "":
			u.Name = u.PhoneNumber
		}
	}
	if u.Picture == "" {
		u.Picture = defaultPicture(u.Email, u.Nickname)
	}
}

// ensureUserUnique fails with Auth0's 409 when the id, or the email or
// username within the connection, is taken by another user.
func ensureUserUnique(ctx context.Context, q store.Querier, u *keyhook.User, isNew bool) error {
	if isNew {
		_, err := q.UserGetByID(ctx, u.ID)
		if err == nil {
			return errUserExists
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("get user: %w", err)
		}
	}
	checks := []struct {
		v   string
		get func(context.Context, string, string) (*keyhook.User, error)
	}{{u.Email, q.UserGetByEmail}, {u.Username, q.UserGetByUsername}}
	for _, c := range checks {
		if c.v == "" {
			continue
		}
		other, err := c.get(ctx, u.Connection, c.v)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		if other.ID != u.ID {
			return errUserExists
		}
	}
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseFields(r.URL.Query())
	if err != nil {
		return err
	}
	u, err := h.Store.UserGetByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errUserNotFound)
	}
	writeJSON(w, http.StatusOK, sel.apply(viewUser(u)))
	return nil
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(w, r, userUpdateProps)
	if err != nil {
		return err
	}
	if ae := principalFrom(r.Context()).mayPatchUser(o); ae != nil {
		return ae
	}
	in, err := parseUserBody(o, true)
	if err != nil {
		return err
	}
	var newHash string
	if in.Password != nil {
		conn, err := h.userConnection(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := h.checkPassword(r, conn, *in.Password); err != nil {
			return err
		}
		if newHash, err = password.Hash(*in.Password, password.DefaultParams); err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
	}

	var u *keyhook.User
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		now := h.now()
		var conn *keyhook.Connection
		var err error
		u, err = tx.UserUpdate(ctx, r.PathValue("id"), func(u *keyhook.User) error {
			if in.Connection != nil && *in.Connection != u.Connection {
				return badBody("The user does not belong to connection %q", *in.Connection)
			}
			applyUserPatch(u, in)
			if err := checkMergedMetadata(u); err != nil {
				return err
			}
			if in.Email != nil || in.Username != nil {
				if err := ensureUserUnique(ctx, tx, u, false); errors.Is(err, errUserExists) {
					return conflict("", "The specified new email or username already exists")
				} else if err != nil {
					return err
				}
			}
			u.UpdatedAt = now
			if newHash != "" {
				var err error
				if conn, err = tx.ConnectionGetByName(ctx, u.Connection); err != nil {
					return fmt.Errorf("get connection: %w", err)
				}
				if conn.Strategy == "email" || conn.Strategy == "sms" {
					return badBody("Passwordless users cannot have a password")
				}
				u.PasswordHash = newHash
				u.LastPasswordReset = &now
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return conflict("", "The specified new email or username already exists")
			}
			return fmt.Errorf("update user: %w", notFoundAs(err, errUserNotFound))
		}
		if newHash == "" {
			return nil
		}
		if err := clearLoginFailures(ctx, tx, u.ID); err != nil {
			return err
		}
		entry := &keyhook.LogEntry{
			Date:         now,
			Type:         keyhook.LogSuccessChangePassword,
			Description:  "Password changed through the Management API",
			Connection:   conn.Name,
			ConnectionID: conn.ID,
			UserID:       u.ID,
			UserName:     u.LogName(),
			Strategy:     "auth0",
			StrategyType: "database",
		}
		if p := principalFrom(ctx); p != nil {
			entry.ClientID = p.clientID
		}
		if err := tenantlog.Write(ctx, tx, entry); err != nil {
			return err
		}
		if h.Triggers != nil {
			if err := h.Triggers.EnqueuePostChangePassword(ctx, tx, trigger.PostChangePassword{User: u, Connection: conn}); err != nil {
				return fmt.Errorf("enqueue post-change-password: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}

// applyUserPatch applies a validated PATCH: metadata merges one level deep
// (null deletes a key, {} or null empties it), other fields replace.
func applyUserPatch(u *keyhook.User, in userInput) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.Email, in.Email)
	set(&u.Username, in.Username)
	set(&u.PhoneNumber, in.PhoneNumber)
	set(&u.GivenName, in.GivenName)
	set(&u.FamilyName, in.FamilyName)
	set(&u.Name, in.Name)
	set(&u.Nickname, in.Nickname)
	set(&u.Picture, in.Picture)
	for name := range in.clear {
		switch name {
		case "given_name":
			u.GivenName = ""
		case "family_name":
			u.FamilyName = ""
		case "name":
			u.Name = ""
		case "nickname":
			u.Nickname = ""
		case "picture":
			u.Picture = ""
		}
	}
	if in.Email != nil && in.EmailVerified == nil {
		// A new address is unverified unless the caller says otherwise.
		u.EmailVerified = false
	}
	if in.EmailVerified != nil {
		u.EmailVerified = *in.EmailVerified
	}
	if in.PhoneVerified != nil {
		u.PhoneVerified = *in.PhoneVerified
	}
	if in.Blocked != nil {
		u.Blocked = *in.Blocked
	}
	if in.hasUserMetadata {
		u.UserMetadata = mergeMetadata(u.UserMetadata, in.UserMetadata)
	}
	if in.hasAppMetadata {
		u.AppMetadata = mergeMetadata(u.AppMetadata, in.AppMetadata)
	}
}

// mergeMetadata merges patch into cur at the first level; a null value
// deletes its key and an empty patch empties the metadata.
func mergeMetadata(cur, patch map[string]any) map[string]any {
	if len(patch) == 0 {
		return map[string]any{}
	}
	out := make(map[string]any, len(cur)+len(patch))
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	// Auth0 answers 204 whether or not the user existed.
	if err := h.Store.UserDelete(r.Context(), r.PathValue("id")); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete user: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var userSortFields = []string{"created_at", "updated_at", "email", "last_login", "user_id", "logins_count", "name"}

// parseSort reads sort=field:1|-1.
func parseSort(q url.Values, allowed []string) (field string, desc bool, err error) {
	s := q.Get("sort")
	if s == "" {
		return "", false, nil
	}
	f, dir, ok := strings.Cut(s, ":")
	if !ok || (dir != "1" && dir != "-1") {
		return "", false, badQuery("'String does not match pattern ^(([a-zA-Z\\-_])+:(-1|1))$: %s' on property sort", s)
	}
	if !slices.Contains(allowed, f) {
		return "", false, badQuery("'Sorting by %s is not supported (allowed: %s)' on property sort", f, strings.Join(allowed, ", "))
	}
	return f, dir == "-1", nil
}

// userQuery is the supported subset of Lucene q: email:"x" or user_id:"x".
type userQuery struct {
	email, userID string
}

func parseUserQuery(s string) (userQuery, error) {
	var uq userQuery
	s = strings.TrimSpace(s)
	if s == "" {
		return uq, nil
	}
	k, v, ok := strings.Cut(s, ":")
	v = strings.TrimSpace(v)
	if ok && len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	} else if strings.ContainsAny(v, " \"*") {
		ok = false
	}
	if !ok || v == "" {
		return uq, badQuery("unsupported q %q: keyhook supports email:\"…\" and user_id:\"…\"", s)
	}
	switch strings.TrimSpace(k) {
	case "email":
		uq.email = v
	case "user_id":
		uq.userID = v
	default:
		return uq, badQuery("unsupported q %q: keyhook supports email:\"…\" and user_id:\"…\"", s)
	}
	return uq, nil
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pq, err := parsePage(q)
	if err != nil {
		return err
	}
	sel, err := parseFields(q)
	if err != nil {
		return err
	}
	p := store.UserListParams{Connection: q.Get("connection")}
	if p.Sort, p.SortDesc, err = parseSort(q, userSortFields); err != nil {
		return err
	}
	if se := q.Get("search_engine"); se != "" && se != "v1" && se != "v2" && se != "v3" {
		return badQuery("'No enum match for: \"%s\"' on property search_engine (Allowed values: v1, v2, v3)", se)
	}
	uq, err := parseUserQuery(q.Get("q"))
	if err != nil {
		return err
	}
	conv := func(u *keyhook.User) any { return viewUser(u) }
	if uq.userID != "" {
		var users []keyhook.User
		u, err := h.Store.UserGetByID(r.Context(), uq.userID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("get user: %w", err)
		}
		if u != nil && err == nil && (p.Connection == "" || p.Connection == u.Connection) {
			users = append(users, *u)
		}
		total := len(users)
		if pq.Page > 0 || pq.PerPage == 0 {
			users = nil
		}
		writePage(w, pq, "users", project(users, sel, conv), total, true)
		return nil
	}
	p.Email = uq.email
	p.Page, p.PerPage = pq.storePage()
	users, total, err := h.Store.UserList(r.Context(), p)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	writePage(w, pq, "users", project(trim(pq, users), sel, conv), total, true)
	return nil
}

func (h *Handler) usersByEmail(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sel, err := parseFields(q)
	if err != nil {
		return err
	}
	email := q.Get("email")
	if email == "" {
		return badQuery("'Missing required property: email'")
	}
	var out []keyhook.User
	p := store.UserListParams{Email: email, PageParams: store.PageParams{PerPage: maxPerPage}}
	for p.Page = 0; ; p.Page++ {
		users, total, err := h.Store.UserList(r.Context(), p)
		if err != nil {
			return fmt.Errorf("list users by email: %w", err)
		}
		for _, u := range users {
			// The lookup is case-sensitive, as Auth0's is.
			if u.Email == email {
				out = append(out, u)
			}
		}
		if len(users) < p.PerPage || (p.Page+1)*p.PerPage >= total {
			break
		}
	}
	writeJSON(w, http.StatusOK, project(out, sel, func(u *keyhook.User) any { return viewUser(u) }))
	return nil
}

// logFailedPasswordChange audits a refused password change (fcp). The
// answer to the caller does not depend on it.
func (h *Handler) logFailedPasswordChange(r *http.Request, description string) {
	ctx := r.Context()
	entry := &keyhook.LogEntry{Date: h.now(), Type: keyhook.LogFailedChangePassword, Description: description, UserID: r.PathValue("id")}
	if u, err := h.Store.UserGetByID(ctx, entry.UserID); err == nil {
		entry.UserName, entry.Connection = u.LogName(), u.Connection
	}
	if p := principalFrom(ctx); p != nil {
		entry.ClientID = p.clientID
	}
	if err := h.writeLog(ctx, entry); err != nil {
		h.logger().ErrorContext(ctx, "write fcp log", "err", err)
	}
}
