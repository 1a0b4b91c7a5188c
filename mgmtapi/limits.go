package mgmtapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/inputcheck"
)

// bodyRule is what one route's body may be: its size as sent, the limits of
// its values, and the advice Auth0 appends when it refuses unknown
// properties.
type bodyRule struct {
	maxBytes int64
	body     limit
	hint     string
}

// limit bounds one JSON value. A zero field sets no bound. The checks are
// lenient about types: a value of the wrong type passes here and the
// route's own decoding reports the type error.
type limit struct {
	// chars bounds a string, or each string of an array, in characters.
	chars int
	// bytes bounds a string's UTF-8 bytes, or an object's or array's
	// compact JSON.
	bytes int
	// maxProps bounds an object's number of properties.
	maxProps int
	// keyChars and valueChars bound each property name of an object and
	// each of its string values (client_metadata, dependencies, secrets).
	keyChars, valueChars int
	// props bounds the named properties of an object, or of each object of
	// an array; properties not named get anyValue.
	props map[string]limit
}

// anyValue bounds every property a table does not name: the properties
// keyhook accepts and stores without interpreting them, and those the
// schema check refuses anyway.
var anyValue = limit{chars: keyhook.MaxTextLen, bytes: keyhook.MaxClientSettingBytes}

// defaultBodyRule is for routes the table does not name: small bodies of
// short strings.
var defaultBodyRule = bodyRule{maxBytes: 64 << 10, body: limit{props: map[string]limit{}}}

// usersHint is what Auth0 appends when PATCH /users gets unknown
// properties.
const usersHint = ` (consider storing them in app_metadata or user_metadata. See "Users Metadata" in https://auth0.com/docs/api/v2/changes for more details)`

var (
	userBody = limit{props: map[string]limit{
		"email":         {chars: keyhook.MaxEmailLen},
		"phone_number":  {chars: keyhook.MaxPhoneNumberLen},
		"password":      {chars: keyhook.MaxPasswordLen},
		"username":      {chars: keyhook.MaxUsernameLen},
		"user_id":       {chars: keyhook.MaxUserIDLen},
		"given_name":    {chars: keyhook.MaxGivenNameLen},
		"family_name":   {chars: keyhook.MaxFamilyNameLen},
		"name":          {chars: keyhook.MaxNameLen},
		"nickname":      {chars: keyhook.MaxNicknameLen},
		"picture":       {chars: keyhook.MaxURLLen},
		"connection":    {chars: keyhook.MaxConnectionNameLen},
		"client_id":     {chars: keyhook.MaxClientIDLen},
		"user_metadata": {bytes: keyhook.MaxMetadataBytes},
		"app_metadata":  {bytes: keyhook.MaxMetadataBytes},
	}}
	hookBody = limit{props: map[string]limit{
		"name":   {chars: keyhook.MaxHookNameLen},
		"script": {bytes: keyhook.MaxScriptBytes},
		"dependencies": {maxProps: keyhook.MaxHookDependencies,
			keyChars: keyhook.MaxDependencyNameLen, valueChars: keyhook.MaxDependencyVersionLen},
	}}
	hookSecretsBody = limit{maxProps: keyhook.MaxHookSecrets,
		keyChars: keyhook.MaxHookSecretNameLen, valueChars: keyhook.MaxHookSecretValueLen}
	hookSecretNamesBody = limit{chars: keyhook.MaxHookSecretNameLen}
	hookTestBody        = limit{props: map[string]limit{"payload": {bytes: 128 << 10}}}
	clientBody          = limit{props: map[string]limit{
		"name":                       {chars: keyhook.MaxClientNameLen},
		"description":                {chars: keyhook.MaxClientDescriptionLen},
		"client_secret":              {chars: keyhook.MaxClientSecretLen},
		"callbacks":                  {chars: keyhook.MaxURLLen},
		"allowed_origins":            {chars: keyhook.MaxURLLen},
		"web_origins":                {chars: keyhook.MaxURLLen},
		"allowed_logout_urls":        {chars: keyhook.MaxURLLen},
		"grant_types":                {chars: keyhook.MaxGrantTypeLen},
		"client_metadata":            {maxProps: keyhook.MaxClientMetadataFields, keyChars: keyhook.MaxClientMetadataLen, valueChars: keyhook.MaxClientMetadataLen},
		"logo_uri":                   {chars: keyhook.MaxURLLen},
		"initiate_login_uri":         {chars: keyhook.MaxURLLen},
		"cross_origin_loc":           {chars: keyhook.MaxURLLen},
		"custom_login_page":          {bytes: keyhook.MaxLoginPageBytes},
		"custom_login_page_preview":  {bytes: keyhook.MaxLoginPageBytes},
		"form_template":              {bytes: keyhook.MaxLoginPageBytes},
		"resource_server_identifier": {chars: keyhook.MaxIdentifierLen},
	}}
	resourceServerBody = limit{props: map[string]limit{
		"identifier":     {chars: keyhook.MaxIdentifierLen},
		"name":           {chars: keyhook.MaxResourceServerNameLen},
		"signing_secret": {chars: keyhook.MaxClientSecretLen},
		"scopes": {props: map[string]limit{
			"value":       {chars: keyhook.MaxScopeLen},
			"description": {chars: keyhook.MaxScopeDescriptionLen},
		}},
	}}
	clientGrantBody = limit{props: map[string]limit{
		"client_id": {chars: keyhook.MaxClientIDLen},
		"audience":  {chars: keyhook.MaxIdentifierLen},
		"scope":     {chars: keyhook.MaxScopeLen},
	}}
)

// The Actions bodies. maxEnumLen bounds strings that must be one of a few
// short names (triggers, runtimes, reference types); the handler checks
// the name.
const maxEnumLen = 64

var (
	actionBody = limit{props: map[string]limit{
		"name":    {chars: keyhook.MaxActionNameLen},
		"code":    {bytes: keyhook.MaxActionCodeBytes},
		"runtime": {chars: maxEnumLen},
		"supported_triggers": {props: map[string]limit{
			"id": {chars: maxEnumLen}, "version": {chars: maxEnumLen},
			"status": {chars: maxEnumLen}, "default_runtime": {chars: maxEnumLen}, "binding_policy": {chars: maxEnumLen},
		}},
		"dependencies": {props: map[string]limit{
			"name": {chars: keyhook.MaxDependencyNameLen}, "version": {chars: keyhook.MaxDependencyVersionLen},
			"registry_url": {chars: keyhook.MaxURLLen},
		}},
		"secrets": {props: map[string]limit{
			"name": {chars: keyhook.MaxActionSecretNameLen}, "value": {chars: keyhook.MaxActionSecretValueLen},
		}},
	}}
	actionTestBody = limit{props: map[string]limit{"payload": {bytes: 128 << 10}, "phase": {chars: maxEnumLen}}}
	bindingsBody   = limit{props: map[string]limit{
		"bindings": {props: map[string]limit{
			"display_name": {chars: keyhook.MaxBindingDisplayNameLen},
			"ref":          {props: map[string]limit{"type": {chars: maxEnumLen}, "value": {chars: keyhook.MaxActionNameLen}}},
		}},
	}}
)

// bodyRules is every route that reads a body, by its pattern: hook scripts
// and client login pages need more room than users, users (with metadata)
// more than grants.
var bodyRules = map[string]bodyRule{
	"POST /api/v2/users":                  {maxBytes: 256 << 10, body: userBody},
	"PATCH /api/v2/users/{id}":            {maxBytes: 256 << 10, body: userBody, hint: usersHint},
	"POST /api/v2/hooks":                  {maxBytes: 512 << 10, body: hookBody},
	"PATCH /api/v2/hooks/{id}":            {maxBytes: 512 << 10, body: hookBody},
	"POST /api/v2/hooks/{id}/secrets":     {maxBytes: 256 << 10, body: hookSecretsBody},
	"PATCH /api/v2/hooks/{id}/secrets":    {maxBytes: 256 << 10, body: hookSecretsBody},
	"DELETE /api/v2/hooks/{id}/secrets":   {maxBytes: 64 << 10, body: hookSecretNamesBody},
	"POST /api/v2/hooks/{id}/test":        {maxBytes: 256 << 10, body: hookTestBody},
	"POST /api/v2/clients":                {maxBytes: 1 << 20, body: clientBody},
	"PATCH /api/v2/clients/{id}":          {maxBytes: 1 << 20, body: clientBody},
	"POST /api/v2/resource-servers":       {maxBytes: 1 << 20, body: resourceServerBody},
	"PATCH /api/v2/resource-servers/{id}": {maxBytes: 1 << 20, body: resourceServerBody},
	"POST /api/v2/client-grants":          {maxBytes: 256 << 10, body: clientGrantBody},
	"PATCH /api/v2/client-grants/{id}":    {maxBytes: 256 << 10, body: clientGrantBody},

	"POST /api/v2/actions/actions":                        {maxBytes: 512 << 10, body: actionBody},
	"PATCH /api/v2/actions/actions/{id}":                  {maxBytes: 512 << 10, body: actionBody},
	"POST /api/v2/actions/actions/{id}/test":              {maxBytes: 256 << 10, body: actionTestBody},
	"PATCH /api/v2/actions/triggers/{triggerId}/bindings": {maxBytes: 64 << 10, body: bindingsBody},
}

// bodyRuleFor returns the rule of the route r matched.
func bodyRuleFor(r *http.Request) bodyRule {
	if rule, ok := bodyRules[r.Pattern]; ok {
		return rule
	}
	return defaultBodyRule
}

// checkBody checks a body as sent: its text (no NUL, valid UTF-8, escapes
// included), then the limits of its values. A body that is not valid JSON
// passes the limits: its decoding reports the syntax error.
func (rule bodyRule) checkBody(b []byte) error {
	if err := inputcheck.JSON(b); err != nil {
		return inputError(err)
	}
	if !json.Valid(b) {
		return nil
	}
	return rule.body.check("", b)
}

// inputError words an inputcheck failure as Auth0 words validation errors
// of the path, the query and the body.
func inputError(err error) *apiError {
	var ie *inputcheck.Error
	if !errors.As(err, &ie) {
		return badBody("%s", err.Error())
	}
	detail := "'String " + string(ie.Problem) + "'"
	if ie.Name != "" {
		detail += " on property " + ie.Name
	}
	switch ie.Part {
	case inputcheck.Path:
		return newError(http.StatusBadRequest, "invalid_uri", "Path validation error: %s.", detail)
	case inputcheck.Query:
		return badQuery("%s", detail)
	case inputcheck.Header:
		return newError(http.StatusBadRequest, "invalid_headers", "Header validation error: 'String %s' on header %s.", ie.Problem, ie.Name)
	}
	return payloadError("%s", detail)
}

// WriteInputError answers a Management API request whose path or query
// failed the server's input check, in the Management API's error shape. It
// reports false for paths outside /api/v2.
func (h *Handler) WriteInputError(w http.ResponseWriter, r *http.Request, err error) bool {
	if r.URL.Path != "/api/v2" && !strings.HasPrefix(r.URL.Path, "/api/v2/") {
		return false
	}
	h.writeError(w, r, inputError(err))
	return true
}

func (l limit) check(path string, raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		if n := utf8.RuneCountInString(s); l.chars > 0 && n > l.chars {
			return limitError(path, "String is too long (%d chars), maximum %d", n, l.chars)
		}
		if l.bytes > 0 && len(s) > l.bytes {
			return limitError(path, "String is too long (%d bytes), maximum %d", len(s), l.bytes)
		}
	case '{':
		if err := l.checkSize(path, raw, "Object"); err != nil {
			return err
		}
		if l.props == nil && l.maxProps == 0 && l.keyChars == 0 && l.valueChars == 0 {
			return nil
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil
		}
		if l.maxProps > 0 && len(m) > l.maxProps {
			return limitError(path, "Too many properties defined (%d), maximum %d", len(m), l.maxProps)
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if n := utf8.RuneCountInString(k); l.keyChars > 0 && n > l.keyChars {
				return limitError(path, "Property name is too long (%d chars), maximum %d", n, l.keyChars)
			}
			sub := limit{chars: l.valueChars}
			if l.props != nil {
				var ok bool
				if sub, ok = l.props[k]; !ok {
					sub = anyValue
				}
			}
			if err := sub.check(join(path, k), m[k]); err != nil {
				return err
			}
		}
	case '[':
		if err := l.checkSize(path, raw, "Array"); err != nil {
			return err
		}
		if l.chars == 0 && l.props == nil {
			return nil
		}
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		item := limit{chars: l.chars, props: l.props}
		for i, v := range items {
			if err := item.check(path+"["+strconv.Itoa(i)+"]", v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSize bounds an object's or array's compact JSON.
func (l limit) checkSize(path string, raw []byte, kind string) error {
	if l.bytes == 0 || len(raw) <= l.bytes {
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil || buf.Len() <= l.bytes {
		return nil
	}
	return limitError(path, "%s is too large (%d bytes), maximum %d", kind, buf.Len(), l.bytes)
}

// checkMergedMetadata bounds a user's metadata after a PATCH merged into it:
// each PATCH is bounded by the body rule, but merges could grow it past the
// limit one key at a time.
func checkMergedMetadata(u *keyhook.User) error {
	for _, m := range []struct {
		name string
		v    map[string]any
	}{{"user_metadata", u.UserMetadata}, {"app_metadata", u.AppMetadata}} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // measured as a client sends it, as checkSize does
		if err := enc.Encode(m.v); err != nil {
			return fmt.Errorf("encode %s: %w", m.name, err)
		}
		if n := buf.Len() - 1; n > keyhook.MaxMetadataBytes {
			return limitError(m.name, "Object is too large (%d bytes once merged), maximum %d", n, keyhook.MaxMetadataBytes)
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func limitError(path, format string, a ...any) *apiError {
	msg := "'" + fmt.Sprintf(format, a...) + "'"
	if path != "" {
		msg += " on property " + path
	}
	return payloadError("%s", msg)
}
