package mgmtapi

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/authapi"
	"github.com/keyhook/keyhook/oauth"
)

// routeScopes is every route with the scopes of which a client token needs
// any one, written down apart from handler.go so that a route's scope
// cannot change unnoticed. A new route must be added here too.
var routeScopes = map[string][]string{
	"GET /api/v2/hooks":                       {"read:hooks"},
	"POST /api/v2/hooks":                      {"create:hooks"},
	"GET /api/v2/hooks/{id}":                  {"read:hooks"},
	"PATCH /api/v2/hooks/{id}":                {"update:hooks"},
	"DELETE /api/v2/hooks/{id}":               {"delete:hooks"},
	"GET /api/v2/hooks/{id}/secrets":          {"read:hooks"},
	"POST /api/v2/hooks/{id}/secrets":         {"update:hooks"},
	"PATCH /api/v2/hooks/{id}/secrets":        {"update:hooks"},
	"DELETE /api/v2/hooks/{id}/secrets":       {"delete:hooks"},
	"POST /api/v2/hooks/{id}/test":            {"create:hooks"},
	"GET /api/v2/users":                       {"read:users"},
	"POST /api/v2/users":                      {"create:users"},
	"GET /api/v2/users/{id}":                  {"read:users"},
	"PATCH /api/v2/users/{id}":                {"update:users", "update:users_app_metadata"},
	"DELETE /api/v2/users/{id}":               {"delete:users"},
	"GET /api/v2/users-by-email":              {"read:users"},
	"GET /api/v2/users/{id}/logs":             {"read:logs", "read:logs_users"},
	"GET /api/v2/user-blocks":                 {"read:users"},
	"DELETE /api/v2/user-blocks":              {"update:users"},
	"GET /api/v2/user-blocks/{id}":            {"read:users"},
	"DELETE /api/v2/user-blocks/{id}":         {"update:users"},
	"GET /api/v2/clients":                     {"read:clients", "read:client_keys"},
	"POST /api/v2/clients":                    {"create:clients"},
	"GET /api/v2/clients/{id}":                {"read:clients", "read:client_keys"},
	"PATCH /api/v2/clients/{id}":              {"update:clients", "update:client_keys"},
	"DELETE /api/v2/clients/{id}":             {"delete:clients"},
	"POST /api/v2/clients/{id}/rotate-secret": {"update:client_keys"},
	"GET /api/v2/resource-servers":            {"read:resource_servers"},
	"POST /api/v2/resource-servers":           {"create:resource_servers"},
	"GET /api/v2/resource-servers/{id}":       {"read:resource_servers"},
	"PATCH /api/v2/resource-servers/{id}":     {"update:resource_servers"},
	"DELETE /api/v2/resource-servers/{id}":    {"delete:resource_servers"},
	"GET /api/v2/client-grants":               {"read:client_grants"},
	"POST /api/v2/client-grants":              {"create:client_grants"},
	"GET /api/v2/client-grants/{id}":          {"read:client_grants"},
	"PATCH /api/v2/client-grants/{id}":        {"update:client_grants"},
	"DELETE /api/v2/client-grants/{id}":       {"delete:client_grants"},
	"GET /api/v2/logs":                        {"read:logs", "read:logs_users"},
	"GET /api/v2/logs/{id}":                   {"read:logs", "read:logs_users"},

	"GET /api/v2/actions/actions":                                   {"read:actions"},
	"POST /api/v2/actions/actions":                                  {"create:actions"},
	"GET /api/v2/actions/actions/{id}":                              {"read:actions"},
	"PATCH /api/v2/actions/actions/{id}":                            {"update:actions"},
	"DELETE /api/v2/actions/actions/{id}":                           {"delete:actions"},
	"POST /api/v2/actions/actions/{id}/deploy":                      {"create:actions"},
	"POST /api/v2/actions/actions/{id}/test":                        {"create:actions"},
	"GET /api/v2/actions/actions/{id}/versions":                     {"read:actions"},
	"GET /api/v2/actions/actions/{id}/versions/{versionId}":         {"read:actions"},
	"POST /api/v2/actions/actions/{id}/versions/{versionId}/deploy": {"create:actions"},
	"GET /api/v2/actions/triggers":                                  {"read:actions"},
	"GET /api/v2/actions/triggers/{triggerId}/bindings":             {"read:actions"},
	"PATCH /api/v2/actions/triggers/{triggerId}/bindings":           {"update:actions"},
	"GET /api/v2/actions/executions/{id}":                           {"read:actions"},
}

// currentUserRoutes are the only routes a user token may call (on its own
// id), with the current-user scopes of which it needs one.
var currentUserRoutes = map[string][]string{
	"GET /api/v2/users/{id}":   {"read:current_user"},
	"PATCH /api/v2/users/{id}": {"update:current_user_metadata", "create:current_user_metadata"},
}

func TestRouteScopes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seen := map[string]bool{}
	for _, rt := range b.h.routes() {
		seen[rt.pattern] = true
		want, ok := routeScopes[rt.pattern]
		if !ok {
			t.Errorf("route %s is not in routeScopes: add it with the scopes it needs", rt.pattern)
			continue
		}
		if !slices.Equal(rt.scopes, want) {
			t.Errorf("%s needs %v, want %v", rt.pattern, rt.scopes, want)
		}
		if len(rt.scopes) == 0 {
			t.Errorf("%s needs no scope", rt.pattern)
		}
		if got := currentUserScopes(rt.pattern); !slices.Equal(got, currentUserRoutes[rt.pattern]) {
			t.Errorf("%s: current-user scopes %v, want %v", rt.pattern, got, currentUserRoutes[rt.pattern])
		}
	}
	for p := range routeScopes {
		if !seen[p] {
			t.Errorf("routeScopes lists %s, which the handler does not serve", p)
		}
	}
}

// authAPI mounts the token endpoint and signup beside the Management API,
// with the Management API as a system resource server that defines every
// admin scope (as Auth0's does), and a public SPA client allowed the
// password grant: everything a self-registered user needs to ask for a
// Management API token.
type authAPI struct {
	clientID string
}

func (b *bundle) withAuthAPI(t *testing.T) authAPI {
	t.Helper()
	o := &oauth.Handler{Store: b.db, Signer: b.signer, Issuer: testIssuer, AdminAudience: testAudience, Logger: b.h.Logger}
	o.Mount(b.mux)
	(&authapi.Handler{Store: b.db, Triggers: b.h.Triggers, Logger: b.h.Logger}).Mount(b.mux)
	scopes := []map[string]string{}
	for _, s := range append(slices.Clone(allScopes), keyhook.CurrentUserScopes()...) {
		scopes = append(scopes, map[string]string{"value": s})
	}
	b.must(201, "POST", "/api/v2/resource-servers", map[string]any{"name": "Management API", "identifier": testAudience, "scopes": scopes})
	c := b.must(201, "POST", "/api/v2/clients", map[string]any{
		"name": "public app", "app_type": "spa", "grant_types": []string{"password", "authorization_code"},
	}).object(t)
	if c["token_endpoint_auth_method"] != "none" {
		t.Fatalf("spa client %v", c)
	}
	return authAPI{clientID: c["client_id"].(string)}
}

// post sends a JSON body without a Management API token and decodes the
// answer.
func (b *bundle) post(t *testing.T, path string, body any) (int, map[string]any) {
	t.Helper()
	r := b.do("POST", path, "", body)
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	return r.status, m
}

// signup registers a user through /dbconnections/signup and returns its id.
func (a authAPI) signup(t *testing.T, b *bundle, email string) string {
	t.Helper()
	status, m := b.post(t, "/dbconnections/signup", map[string]any{
		"client_id": a.clientID, "connection": keyhook.DefaultDatabaseConnection, "email": email, "password": userPassword,
	})
	if status != 200 {
		t.Fatalf("signup: %d %v", status, m)
	}
	return "auth0|" + m["_id"].(string)
}

const userPassword = "Correct-Horse-Battery-9"

// userToken logs the user in with the password grant for the Management
// API and returns the access token and the scope the server granted.
func (a authAPI) userToken(t *testing.T, b *bundle, email, scope string) (string, string) {
	t.Helper()
	status, m := b.post(t, "/oauth/token", map[string]any{
		"grant_type": "password", "client_id": a.clientID, "username": email, "password": userPassword,
		"audience": testAudience, "scope": scope,
	})
	if status != 200 {
		t.Fatalf("password grant: %d %v", status, m)
	}
	granted, _ := m["scope"].(string)
	return m["access_token"].(string), granted
}

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// requestOf turns a route pattern into a method and a path, {id} being id
// and any other wildcard a placeholder.
func requestOf(pattern, id string) (string, string) {
	method, path, _ := strings.Cut(pattern, " ")
	path = wildcard.ReplaceAllStringFunc(path, func(w string) string {
		if w == "{id}" {
			return url.PathEscape(id)
		}
		return "X"
	})
	return method, path
}

// TestAuthorizationMatrix crosses every route of the handler's table with
// every kind of caller: no token, a real user token from the password grant
// holding every current-user scope, a client token with every scope but
// the route's, and client tokens with each of the route's scopes. Refusals
// change nothing stored.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.withAuthAPI(t)
	userID := a.signup(t, b, "jane@example.test")
	otherID := a.signup(t, b, "john@example.test")
	currentUser := strings.Join(keyhook.CurrentUserScopes(), " ")
	userTok, granted := a.userToken(t, b, "jane@example.test", currentUser+" create:hooks read:users update:users")
	if granted != currentUser {
		t.Fatalf("user token granted %q, want %q", granted, currentUser)
	}

	for _, rt := range b.h.routes() {
		self := currentUserRoutes[rt.pattern]
		method, path := requestOf(rt.pattern, "auth0|nobody")
		b.unchanged(rt.pattern+" refused", func() {
			r := b.do(method, path, "", `{}`)
			if r.status != 401 || string(r.body) != `{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}` {
				t.Fatalf("%s without a token: %d %s", rt.pattern, r.status, r.body)
			}

			// A client token holding every scope except the route's own
			// (current-user scopes included: they mean nothing to a client).
			var others []string
			for _, s := range append(slices.Clone(allScopes), keyhook.CurrentUserScopes()...) {
				if !slices.Contains(rt.scopes, s) {
					others = append(others, s)
				}
			}
			wantError(t, b.do(method, path, b.token(others...), `{}`), 403, "insufficient_scope",
				"Insufficient scope, expected any of: "+strings.Join(append(slices.Clone(rt.scopes), self...), ","))

			// The user token on another user's record, and on its own record
			// for every route that is not a current-user route.
			for _, id := range []string{otherID, userID} {
				if self != nil && id == userID {
					continue
				}
				m, p := requestOf(rt.pattern, id)
				wantError(t, b.do(m, p, userTok, `{}`), 403, "insufficient_scope", "Insufficient scope, expected any of: "+strings.Join(rt.scopes, ","))
			}
		})

		for _, s := range rt.scopes {
			if r := b.do(method, path, b.token(s), `{}`); r.status == 401 || r.status == 403 {
				t.Fatalf("%s with %s: %d %s", rt.pattern, s, r.status, r.body)
			}
		}
		if self != nil {
			m, p := requestOf(rt.pattern, userID)
			body := `{}`
			if m == "PATCH" {
				body = `{"user_metadata":{"theme":"dark"}}`
			}
			if r := b.do(m, p, userTok, body); r.status != 200 {
				t.Fatalf("%s on the user's own record: %d %s", rt.pattern, r.status, r.body)
			}
		}
	}
	u, err := b.db.UserGetByID(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	if u.UserMetadata["theme"] != "dark" {
		t.Fatalf("own user_metadata not updated: %v", u.UserMetadata)
	}
}

// TestUserTokenWithAdminScopes: even a user token that carries admin scopes
// (forged here with the tenant's own key, since the token endpoint no
// longer issues one) reaches nothing but the current-user routes on its own
// id: mgmtapi decides by the subject, not by the scope.
func TestUserTokenWithAdminScopes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.withAuthAPI(t)
	userID := a.signup(t, b, "jane@example.test")
	otherID := a.signup(t, b, "john@example.test")
	tok := b.tokenWith(map[string]any{"sub": userID, "gty": "password", "azp": a.clientID,
		"scope": strings.Join(append(slices.Clone(allScopes), "update:users_app_metadata", "read:current_user"), " ")})
	for _, rt := range b.h.routes() {
		for _, id := range []string{otherID, userID, "X"} {
			method, path := requestOf(rt.pattern, id)
			if currentUserRoutes[rt.pattern] != nil && id == userID {
				continue
			}
			b.unchanged(rt.pattern, func() {
				if r := b.do(method, path, tok, `{}`); r.status != 403 {
					t.Fatalf("%s %s with a user token holding admin scopes: %d %s", method, path, r.status, r.body)
				}
			})
		}
	}
	// Its own record: read:current_user reads it; update:users does not
	// stand in for the missing update:current_user_metadata.
	method, path := requestOf("GET /api/v2/users/{id}", userID)
	if r := b.do(method, path, tok, nil); r.status != 200 {
		t.Fatalf("own record: %d %s", r.status, r.body)
	}
	b.unchanged("own PATCH without a metadata scope", func() {
		wantError(t, b.do("PATCH", path, tok, map[string]any{"user_metadata": map[string]any{"a": 1}}), 403, "insufficient_scope",
			"Insufficient scope, expected any of: update:users,update:users_app_metadata,update:current_user_metadata,create:current_user_metadata")
	})
}

// TestCurrentUser: what a user may do with its own record and nothing
// more.
func TestCurrentUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.withAuthAPI(t)
	userID := a.signup(t, b, "jane@example.test")
	otherID := a.signup(t, b, "john@example.test")
	readOnly, _ := a.userToken(t, b, "jane@example.test", "read:current_user")
	writeOnly, _ := a.userToken(t, b, "jane@example.test", "update:current_user_metadata")
	createOnly, _ := a.userToken(t, b, "jane@example.test", "create:current_user_metadata")
	own := "/api/v2/users/" + url.PathEscape(userID)
	other := "/api/v2/users/" + url.PathEscape(otherID)

	got := b.do("GET", own, readOnly, nil)
	if got.status != 200 || got.object(t)["user_id"] != userID {
		t.Fatalf("GET own: %d %s", got.status, got.body)
	}
	// The raw, unescaped id is the same record.
	if r := b.do("GET", "/api/v2/users/"+userID, readOnly, nil); r.status != 200 {
		t.Fatalf("GET own, unescaped: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		message                   string
	}{
		{"read without read:current_user", "GET", own, writeOnly, nil, "Insufficient scope, expected any of: read:users,read:current_user"},
		{"read another user", "GET", other, readOnly, nil, "Insufficient scope, expected any of: read:users"},
		{"id differing in case", "GET", "/api/v2/users/" + url.PathEscape(strings.ToUpper(userID)), readOnly, nil, "Insufficient scope, expected any of: read:users"},
		{"patch without a metadata scope", "PATCH", own, readOnly, map[string]any{"user_metadata": map[string]any{"a": "b"}},
			"Insufficient scope, expected any of: update:users,update:users_app_metadata,update:current_user_metadata,create:current_user_metadata"},
		{"patch another user", "PATCH", other, writeOnly, map[string]any{"user_metadata": map[string]any{"a": "b"}},
			"Insufficient scope, expected any of: update:users,update:users_app_metadata"},
		{"own app_metadata", "PATCH", own, writeOnly, map[string]any{"app_metadata": map[string]any{"role": "admin"}}, "Insufficient scope, expected any of: update:users"},
		{"own password", "PATCH", own, writeOnly, map[string]any{"password": "Another-Strong-Pass-1"}, "Insufficient scope, expected any of: update:users"},
		{"own email", "PATCH", own, writeOnly, map[string]any{"email": "x@example.test"}, "Insufficient scope, expected any of: update:users"},
		{"own blocked flag", "PATCH", own, writeOnly, map[string]any{"blocked": false}, "Insufficient scope, expected any of: update:users"},
		{"metadata with a profile field", "PATCH", own, writeOnly, map[string]any{"user_metadata": map[string]any{"a": "b"}, "email_verified": true},
			"Insufficient scope, expected any of: update:users"},
		{"delete self", "DELETE", own, writeOnly, nil, "Insufficient scope, expected any of: delete:users"},
		{"own logs", "GET", own + "/logs", readOnly, nil, "Insufficient scope, expected any of: read:logs,read:logs_users"},
		{"list users", "GET", "/api/v2/users", readOnly, nil, "Insufficient scope, expected any of: read:users"},
	} {
		b.unchanged(tc.name, func() {
			wantError(t, b.do(tc.method, tc.path, tc.token, tc.body), 403, "insufficient_scope", tc.message)
		})
	}
	// PATCH /users refuses unknown properties (as Auth0 does) before any scope rule.
	b.unchanged("metadata under another spelling", func() {
		wantError(t, b.do("PATCH", own, writeOnly, map[string]any{"User_metadata": map[string]any{"a": "b"}}), 400, "invalid_body",
			"Payload validation error: 'Additional properties not allowed: User_metadata (consider…")
	})
	for _, tok := range []string{writeOnly, createOnly} {
		r := b.do("PATCH", own, tok, map[string]any{"user_metadata": map[string]any{"lang": "fr", "n": 1}})
		if r.status != 200 {
			t.Fatalf("PATCH own user_metadata: %d %s", r.status, r.body)
		}
	}
	u, err := b.db.UserGetByID(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	if u.UserMetadata["lang"] != "fr" || len(u.AppMetadata) != 0 || u.Email != "jane@example.test" {
		t.Fatalf("user after PATCH: metadata %v app %v email %q", u.UserMetadata, u.AppMetadata, u.Email)
	}
}

// TestExploitSequence replays the attack: a public client with the
// password grant, a self-signup, then a Management API token asked for
// with admin scopes. The token comes without them and every admin call
// answers 403.
func TestExploitSequence(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.withAuthAPI(t)
	a.signup(t, b, "mallory@example.test")
	tok, granted := a.userToken(t, b, "mallory@example.test", "create:hooks read:users update:clients")
	if granted != "" {
		t.Fatalf("granted scope %q", granted)
	}
	claims, err := b.signer.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, has := claims["scope"]; has {
		t.Fatalf("token carries scope %v", claims["scope"])
	}
	b.unchanged("exploit", func() {
		wantError(t, b.do("POST", "/api/v2/hooks", tok, map[string]any{
			"name": "pwn", "script": "module.exports = function (user, context, cb) { cb(null, user, context); };",
			"triggerId": "pre-user-registration", "enabled": true,
		}), 403, "insufficient_scope", "Insufficient scope, expected any of: create:hooks")
		wantError(t, b.do("GET", "/api/v2/users", tok, nil), 403, "insufficient_scope", "Insufficient scope, expected any of: read:users")
		wantError(t, b.do("PATCH", "/api/v2/clients/"+a.clientID, tok, map[string]any{"grant_types": []string{"client_credentials"}}),
			403, "insufficient_scope", "Insufficient scope, expected any of: update:clients,update:client_keys")
	})
}

// TestTokenChecks forges tokens that must all be refused with 401: wrong
// or missing iss, aud, exp, nbf, the algorithm and key, and subjects that
// do not fit their grant type.
func TestTokenChecks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := b.h.now().Unix()
	valid := map[string]any{"scope": "read:hooks"}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{"scope": "read:hooks"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	header := func(h map[string]any) string {
		j, _ := json.Marshal(h)
		return b64(j)
	}
	claims := func() string {
		j, _ := json.Marshal(map[string]any{"iss": testIssuer, "sub": "admin-client@clients", "azp": "admin-client", "aud": testAudience,
			"iat": now, "exp": now + 3600, "gty": "client-credentials", "scope": "read:hooks"})
		return b64(j)
	}()
	kid := b.signer.KID()
	for _, tc := range []struct {
		name, token, message string
	}{
		{"wrong iss", b.tokenWith(with(map[string]any{"iss": "https://evil.test/"})), "Invalid token"},
		{"iss without the trailing slash", b.tokenWith(with(map[string]any{"iss": strings.TrimSuffix(testIssuer, "/")})), "Invalid token"},
		{"missing iss", b.tokenWith(with(map[string]any{"iss": nil})), "Invalid token"},
		{"iss as a list", b.tokenWith(with(map[string]any{"iss": []string{testIssuer}})), "Invalid token"},
		{"wrong aud", b.tokenWith(with(map[string]any{"aud": "https://keyhook.test/userinfo"})), "Bad audience: https://keyhook.test/userinfo"},
		{"missing aud", b.tokenWith(with(map[string]any{"aud": nil})), "Bad audience: "},
		{"expired", b.tokenWith(with(map[string]any{"exp": now - 600})), "Invalid token"},
		{"missing exp", b.tokenWith(with(map[string]any{"exp": nil})), "Invalid token"},
		{"not valid yet", b.tokenWith(with(map[string]any{"nbf": now + 600})), "Invalid token"},
		{"missing sub", b.tokenWith(with(map[string]any{"sub": nil})), "Invalid token"},
		{"client subject without the client-credentials grant type", b.tokenWith(with(map[string]any{"gty": nil})), "Invalid token"},
		{"client-credentials grant type with a user subject", b.tokenWith(with(map[string]any{"sub": "auth0|abc"})), "Invalid token"},
		{"client token whose azp is another client", b.tokenWith(with(map[string]any{"azp": "other-client"})), "Invalid token"},
		{"client token with an empty client id", b.tokenWith(with(map[string]any{"sub": "@clients", "azp": nil})), "Invalid token"},
		{"alg none", header(map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + claims + ".", "Invalid token"},
		{"HS256 keyed with the public key", hs256(header(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid})+"."+claims, publicPEM(t)), "Invalid token"},
		{"RS256 by a foreign key under our kid", rs256(t, otherKey(t), header(map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid})+"."+claims), "Invalid token"},
		{"RS256 by a foreign key", rs256(t, otherKey(t), header(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "other"})+"."+claims), "Invalid token"},
		{"RS256 without kid", rs256(t, testKey, header(map[string]any{"alg": "RS256", "typ": "JWT"})+"."+claims), "Invalid token"},
		{"PS256 by our key", ps256(t, testKey, header(map[string]any{"alg": "PS256", "typ": "JWT", "kid": kid})+"."+claims), "Invalid token"},
	} {
		b.unchanged(tc.name, func() {
			for _, path := range []string{"/api/v2/hooks", "/api/v2/nope"} {
				wantError(t, b.do("GET", path, tc.token, nil), 401, "", tc.message)
			}
		})
	}
	// The same claims, correctly signed, pass: the refusals above are the
	// forgeries', not the harness's.
	if r := b.do("GET", "/api/v2/hooks", rs256(t, testKey, header(map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid})+"."+claims), nil); r.status != 200 {
		t.Fatalf("hand-signed valid token: %d %s", r.status, r.body)
	}
	if r := b.do("GET", "/api/v2/hooks", b.tokenWith(valid), nil); r.status != 200 {
		t.Fatalf("valid token: %d %s", r.status, r.body)
	}
	// Within the signer's 60 s leeway, as Auth0's SDKs allow.
	if r := b.do("GET", "/api/v2/hooks", b.tokenWith(with(map[string]any{"exp": now - 10, "nbf": now + 10})), nil); r.status != 200 {
		t.Fatalf("token within the leeway: %d %s", r.status, r.body)
	}
}

// TestNoIssuerNoAccess: a handler wired without its issuer accepts no token.
func TestNoIssuerNoAccess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.h.Issuer = ""
	for _, iss := range []any{testIssuer, "", nil} {
		tok := b.tokenWith(map[string]any{"scope": "read:hooks", "iss": iss})
		wantError(t, b.do("GET", "/api/v2/hooks", tok, nil), 401, "", "Invalid token")
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// foreignKey is an RSA key that is not the tenant's.
var foreignKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func otherKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := foreignKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// publicPEM is the tenant's public key as PEM, the secret of the classic
// RS256-to-HS256 confusion.
func publicPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&testKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func hs256(signingInput string, secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signingInput))
	return signingInput + "." + b64(mac.Sum(nil))
}

func rs256(t *testing.T, key *rsa.PrivateKey, signingInput string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signingInput + "." + b64(sig)
}

func ps256(t *testing.T, key *rsa.PrivateKey, signingInput string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		t.Fatal(err)
	}
	return signingInput + "." + b64(sig)
}

// FuzzPrincipalOf feeds arbitrary claim sets to the subject-kind rule: a
// client principal always comes from a client-credentials token whose sub
// is its client id plus "@clients"; a user principal never holds anything
// but current-user scopes.
func FuzzPrincipalOf(f *testing.F) {
	for _, s := range []string{
		`{"sub":"c@clients","azp":"c","gty":"client-credentials","scope":"read:hooks"}`,
		`{"sub":"c@clients","gty":"client-credentials","permissions":["create:hooks"]}`,
		`{"sub":"auth0|1","azp":"c","gty":"password","scope":"read:current_user create:hooks"}`,
		`{"sub":"auth0|1@clients","gty":"password","scope":"read:users"}`,
		`{"sub":"c@clients","azp":"d","gty":"client-credentials"}`,
		`{"sub":"@clients","gty":"client-credentials"}`,
		`{"sub":1,"scope":["read:current_user",2]}`, `{}`, `{"sub":"x","scope":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var claims map[string]any
		if json.Unmarshal(data, &claims) != nil || claims == nil {
			return
		}
		p, ae := principalOf(claims)
		if ae != nil {
			if ae != errInvalidToken {
				t.Fatalf("refusal %v", ae)
			}
			return
		}
		switch p.kind {
		case kindClient:
			if claims["gty"] != "client-credentials" || p.clientID == "" || claims["sub"] != p.clientID+"@clients" {
				t.Fatalf("client principal %+v from %s", p, data)
			}
		case kindUser:
			if strings.HasSuffix(p.subject, "@clients") || p.subject == "" || claims["gty"] == "client-credentials" {
				t.Fatalf("user principal %+v from %s", p, data)
			}
			for s := range p.scopes {
				if !keyhook.IsCurrentUserScope(s) {
					t.Fatalf("user principal holds %q from %s", s, data)
				}
			}
		default:
			t.Fatalf("principal of no kind from %s", data)
		}
	})
}
