package oauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/inputcheck"
)

// MaxBodyBytes bounds a token request body.
const MaxBodyBytes = 64 << 10

// authMethod is how the client authenticated itself in the request.
type authMethod int

const (
	authNone  authMethod = iota // client_id only (public clients)
	authPost                    // client_secret in the body
	authBasic                   // Authorization: Basic
)

// tokenRequest is a parsed POST /oauth/token.
type tokenRequest struct {
	GrantType    string
	ClientID     string
	ClientSecret string
	AuthMethod   authMethod
	Audience     string
	// Scope is the raw scope parameter; HasScope tells an empty one from an
	// absent one.
	Scope    string
	HasScope bool
	Username string
	Password string
	Realm    string
	// Assertion is client_assertion, which keyhook does not accept yet.
	Assertion string
}

// stringParams are the parameters a token request may carry as strings,
// each with its maximum length in characters (keyhook's table); others are
// ignored, as Auth0 passes unknown ones through.
var stringParams = map[string]int{
	"grant_type":            keyhook.MaxGrantTypeLen,
	"client_id":             keyhook.MaxClientIDLen,
	"client_secret":         keyhook.MaxClientSecretLen,
	"audience":              keyhook.MaxIdentifierLen,
	"scope":                 keyhook.MaxScopeParamLen,
	"username":              keyhook.MaxEmailLen,
	"password":              keyhook.MaxPasswordLen,
	"realm":                 keyhook.MaxConnectionNameLen,
	"client_assertion":      keyhook.MaxClientAssertionLen,
	"client_assertion_type": keyhook.MaxTextLen,
}

// parseTokenRequest reads a token request from its Content-Type, its
// Authorization header and its body (already bounded by the caller).
// Form-encoded and JSON bodies are both accepted: Auth0's SDKs send both.
func parseTokenRequest(contentType, authorization string, body []byte) (*tokenRequest, *tokenError) {
	params, terr := parseBody(contentType, body)
	if terr != nil {
		return nil, terr
	}
	for _, name := range []string{"grant_type", "client_id", "client_secret", "audience", "scope",
		"username", "password", "realm", "client_assertion", "client_assertion_type"} {
		if n := utf8.RuneCountInString(params[name]); n > stringParams[name] {
			return nil, invalidRequest(fmt.Sprintf("Parameter %s is too long (%d characters, maximum %d)", name, n, stringParams[name]))
		}
	}
	req := &tokenRequest{
		GrantType:    params["grant_type"],
		ClientID:     params["client_id"],
		ClientSecret: params["client_secret"],
		Audience:     params["audience"],
		Username:     params["username"],
		Password:     params["password"],
		Realm:        params["realm"],
		Assertion:    params["client_assertion"],
	}
	req.Scope, req.HasScope = params["scope"]
	if req.ClientSecret != "" {
		req.AuthMethod = authPost
	}
	if id, secret, ok, terr := parseBasic(authorization); terr != nil {
		return nil, terr
	} else if ok {
		if req.AuthMethod == authPost {
			return nil, invalidRequest("Client authentication must use only one method")
		}
		if req.ClientID != "" && req.ClientID != id {
			return nil, invalidRequest("client_id does not match the Authorization header")
		}
		req.ClientID, req.ClientSecret, req.AuthMethod = id, secret, authBasic
	}
	if req.GrantType == "" {
		return nil, missingParam("grant_type")
	}
	return req, nil
}

func parseBody(contentType string, body []byte) (map[string]string, *tokenError) {
	mediaType := "application/x-www-form-urlencoded"
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return nil, invalidRequest("Malformed Content-Type header")
		}
		mediaType = mt
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		if err := inputcheck.Form(body); err != nil {
			return nil, badText(err)
		}
		return parseForm(body)
	case "application/json":
		if err := inputcheck.JSON(body); err != nil {
			return nil, badText(err)
		}
		return parseJSON(body)
	}
	return nil, invalidRequest("Content-Type must be application/x-www-form-urlencoded or application/json")
}

func parseForm(body []byte) (map[string]string, *tokenError) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("Malformed form body")
	}
	params := make(map[string]string, len(values))
	for k, vs := range values {
		if _, ok := stringParams[k]; !ok {
			continue
		}
		// RFC 6749 §3.2: request parameters must not be repeated.
		if len(vs) > 1 {
			return nil, invalidRequest("Parameter " + k + " may not be repeated")
		}
		params[k] = vs[0]
	}
	return params, nil
}

func parseJSON(body []byte) (map[string]string, *tokenError) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, invalidRequest("Body must be a JSON object")
	}
	if dec.More() {
		return nil, invalidRequest("Body must be a single JSON object")
	}
	params := make(map[string]string, len(raw))
	for k, v := range raw {
		if _, ok := stringParams[k]; !ok || string(v) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, invalidRequest("Parameter " + k + " must be a string")
		}
		params[k] = s
	}
	return params, nil
}

// parseBasic reads client_secret_basic credentials. Per RFC 6749 §2.3.1 the
// id and secret are form-encoded before base64; a value that does not
// unescape is taken as is, which is what lenient servers (and Auth0) do for
// secrets containing '%'.
func parseBasic(authorization string) (id, secret string, ok bool, terr *tokenError) {
	scheme, cred, found := strings.Cut(authorization, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false, errUnauthorized()
	}
	id, secret, found = strings.Cut(string(raw), ":")
	if !found || id == "" {
		return "", "", false, errUnauthorized()
	}
	if v, err := url.QueryUnescape(id); err == nil {
		id = v
	}
	if v, err := url.QueryUnescape(secret); err == nil {
		secret = v
	}
	for _, s := range []string{id, secret} {
		if err := inputcheck.String(inputcheck.Header, "Authorization", s); err != nil {
			return "", "", false, badText(err)
		}
	}
	return id, secret, true, nil
}

// badText words an inputcheck failure as an OAuth invalid_request.
func badText(err error) *tokenError {
	var ie *inputcheck.Error
	if !errors.As(err, &ie) {
		return invalidRequest(err.Error())
	}
	switch {
	case ie.Part == inputcheck.Body && ie.Name != "":
		return invalidRequest("Parameter " + ie.Name + " " + string(ie.Problem))
	case ie.Part == inputcheck.Query && ie.Name != "":
		return invalidRequest("Query parameter " + ie.Name + " " + string(ie.Problem))
	case ie.Part == inputcheck.Header && ie.Name == "Authorization":
		return invalidRequest("The client credentials in the Authorization header " + string(ie.Problem))
	case ie.Part == inputcheck.Header:
		return invalidRequest("Header " + ie.Name + " " + string(ie.Problem))
	}
	return invalidRequest("The request " + string(ie.Part) + " " + string(ie.Problem))
}
