package mgmtapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keyhook/keyhook"
)

// Who may call what. The Management API has two kinds of callers, told
// apart by the token's subject, never by its scopes alone:
//
//   - a client: a client-credentials token, sub "<client_id>@clients" and
//     gty "client-credentials". Its scopes (scope and RBAC permissions) are
//     what its client grant gave it, and a route answers it when it holds
//     any of the route's scopes.
//   - a user: any other subject (a token from a user login). It holds at
//     most Auth0's current-user scopes — anything else in the token is
//     ignored — and reaches only the routes currentUserScopes names, on its
//     own user id. Every other route answers it 403, whatever its token
//     says.

// subjectKind is whose token it is.
type subjectKind int

const (
	kindClient subjectKind = iota + 1
	kindUser
)

// currentUserScopes are the current-user scopes of which a user token
// needs any one to call the route of pattern on its own {id}; no route but
// these two answers a user (Auth0's "Get Management API Access Tokens for
// Single-Page Applications" lists the others, which keyhook does not serve).
func currentUserScopes(pattern string) []string {
	switch pattern {
	case "GET /api/v2/users/{id}":
		return []string{"read:current_user"}
	case "PATCH /api/v2/users/{id}":
		return []string{"update:current_user_metadata", "create:current_user_metadata"}
	}
	return nil
}

// principalOf reads the caller out of verified claims. A token whose
// subject does not fit its grant type is refused: a client-shaped subject
// without the client-credentials grant type, or a client token whose azp
// names another client.
func principalOf(claims map[string]any) (*principal, *apiError) {
	sub, _ := claims["sub"].(string)
	azp, _ := claims["azp"].(string)
	if azp == "" {
		azp, _ = claims["client_id"].(string)
	}
	gty, _ := claims["gty"].(string)
	if sub == "" {
		return nil, errInvalidToken
	}
	p := &principal{subject: sub, scopes: map[string]bool{}}
	if gty == "client-credentials" {
		id, ok := strings.CutSuffix(sub, "@clients")
		if !ok || id == "" || (azp != "" && azp != id) {
			return nil, errInvalidToken
		}
		p.kind, p.clientID = kindClient, id
		for _, s := range scopeClaims(claims, "scope", "permissions") {
			p.scopes[s] = true
		}
		return p, nil
	}
	if strings.HasSuffix(sub, "@clients") {
		return nil, errInvalidToken
	}
	p.kind, p.clientID = kindUser, azp
	for _, s := range scopeClaims(claims, "scope") {
		if keyhook.IsCurrentUserScope(s) {
			p.scopes[s] = true
		}
	}
	return p, nil
}

// scopeClaims collects the scopes of the named claims, each either a
// space-separated string or an array of strings.
func scopeClaims(claims map[string]any, names ...string) []string {
	var out []string
	for _, name := range names {
		switch v := claims[name].(type) {
		case string:
			out = append(out, strings.Fields(v)...)
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// authorize decides whether p may call the route of pattern with scopes.
func authorize(p *principal, pattern string, scopes []string, r *http.Request) *apiError {
	self := currentUserScopes(pattern)
	if p.kind == kindClient {
		if p.hasAny(scopes) {
			return nil
		}
		return insufficientScope(append(slices.Clip(scopes), self...))
	}
	if len(self) == 0 || r.PathValue("id") != p.subject {
		// Another user's record, or a route no user may call: only the
		// admin scopes would do.
		return insufficientScope(scopes)
	}
	if !p.hasAny(self) {
		return insufficientScope(append(slices.Clip(scopes), self...))
	}
	return nil
}

// mayPatchUser checks a PATCH /users/{id} body against the caller: a user
// changes only its own user_metadata (no password, no app_metadata, no
// profile field), and a client with update:users_app_metadata but not
// update:users only the two metadata objects.
func (p *principal) mayPatchUser(o object) *apiError {
	allowed := []string{"app_metadata", "user_metadata"}
	switch {
	case p.kind == kindUser:
		allowed = []string{"user_metadata"}
	case p.hasAny([]string{"update:users"}):
		return nil
	}
	for k := range o {
		if !slices.Contains(allowed, k) {
			return insufficientScope([]string{"update:users"})
		}
	}
	return nil
}

// require answers 403 unless p holds one of scopes: for rules finer than a
// route (a property only some scopes may set).
func (p *principal) require(scopes ...string) *apiError {
	if p.hasAny(scopes) {
		return nil
	}
	return insufficientScope(scopes)
}
