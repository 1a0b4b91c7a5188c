package oauth

import (
	"slices"
	"strings"

	"github.com/keyhook/keyhook"
)

// userScope is what a token issued to a user carries: the OIDC scopes asked
// for plus the API's own scopes asked for and defined by it (Auth0 without
// RBAC). The Management API is the exception: a user may only ever hold
// Auth0's current-user scopes there, whatever it asks for and whatever the
// resource server lists, and the other scopes asked for are dropped, as
// Auth0 drops them. Asking for no scope at all gets the default OIDC scopes
// and, for the Management API, every current-user scope (what Auth0's
// password grant answers).
func (h *Handler) userScope(req *tokenRequest, rs *keyhook.ResourceServer) []string {
	mgmt := h.isManagementAPI(rs)
	raw := req.Scope
	if !req.HasScope {
		raw = DefaultPasswordScope
		if mgmt {
			raw += " " + strings.Join(keyhook.CurrentUserScopes(), " ")
		}
	}
	var out []string
	for _, s := range strings.Fields(raw) {
		if slices.Contains(out, s) {
			continue
		}
		if slices.Contains(oidcScopes, s) || userMayHold(s, rs, mgmt) {
			out = append(out, s)
		}
	}
	return out
}

// userMayHold reports whether a user token for rs may carry the API scope s.
func userMayHold(s string, rs *keyhook.ResourceServer, mgmt bool) bool {
	if rs == nil {
		return false
	}
	if mgmt {
		return keyhook.IsCurrentUserScope(s)
	}
	return slices.ContainsFunc(rs.Scopes, func(d keyhook.ResourceServerScope) bool { return d.Value == s })
}

// isManagementAPI reports whether rs is the Management API: the audience
// the server was configured with, or any system resource server (only
// setup creates those), so a test or a misconfiguration that leaves
// AdminAudience empty fails closed.
func (h *Handler) isManagementAPI(rs *keyhook.ResourceServer) bool {
	return rs != nil && (rs.IsSystem || (h.AdminAudience != "" && rs.Identifier == h.AdminAudience))
}
