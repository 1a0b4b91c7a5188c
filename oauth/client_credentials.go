package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/trigger"
)

// clientCredentials issues a machine-to-machine token: the client grant of
// (client, audience) bounds the scopes, the credentials-exchange chain may
// change them and add namespaced claims.
func (h *Handler) clientCredentials(ctx context.Context, ex *exchange) (*tokenResponse, *tokenError) {
	req, client := ex.req, ex.client
	if req.Audience == "" {
		return nil, accessDenied("No audience parameter was provided, and no default audience has been configured")
	}
	rs, terr := h.resourceServer(ctx, ex, req.Audience)
	if terr != nil {
		return nil, terr
	}
	g, err := ex.view.ClientGrant(ctx, client.ClientID, req.Audience)
	if errors.Is(err, store.ErrNotFound) {
		return nil, accessDenied(`Client is not authorized to access "` + req.Audience +
			`". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`)
	}
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: load client grant", "client_id", client.ClientID, "audience", req.Audience, "err", err)
		return nil, serverError()
	}

	scope := g.Scope
	if req.HasScope {
		requested := strings.Fields(req.Scope)
		var missing []string
		for _, s := range requested {
			if !slices.Contains(g.Scope, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			return nil, accessDenied("Client has not been granted scopes: " + strings.Join(missing, " "))
		}
		scope = dedupe(requested)
	}
	ex.log.Scope = strings.Join(scope, " ")

	var custom map[string]any
	changed := false
	breakGlass := h.AdminClientID != "" && client.ClientID == h.AdminClientID && req.Audience == h.AdminAudience
	if h.Triggers != nil && !breakGlass {
		res, err := h.Triggers.CredentialsExchange(ctx, trigger.CredentialsExchange{
			Client: client, Audience: req.Audience, Scope: scope, Config: ex.view,
			Auth0API: h.isManagementAPI(rs), Request: ex.request(),
		})
		ex.execs, ex.actions = res.Executions, res.Actions
		if d, ok := trigger.IsDeny(err); ok {
			status := http.StatusBadRequest
			if d.Code == "server_error" {
				status = http.StatusInternalServerError
			}
			return nil, &tokenError{Status: status, Code: d.Code, Description: d.Message}
		}
		if err != nil {
			h.logger().ErrorContext(ctx, "oauth: credentials-exchange", "client_id", client.ClientID, "err", err)
			return nil, serverError()
		}
		changed = !slices.Equal(res.Scope, scope)
		scope, custom = res.Scope, res.Claims
		ex.log.Scope = strings.Join(scope, " ")
	}

	lifetime := tokenLifetime(rs)
	iat := ex.now.Unix()
	claims := map[string]any{
		"iss": h.Issuer,
		"sub": client.ClientID + "@clients",
		"aud": req.Audience,
		"iat": iat,
		"exp": iat + int64(lifetime),
		"gty": "client-credentials",
		"azp": client.ClientID,
	}
	if len(scope) > 0 {
		claims["scope"] = ex.log.Scope
	}
	addCustomClaims(claims, custom)
	scopeOut := ex.log.Scope
	ex.log.Description = "Client Credentials for Access Token"
	h.beginSuccessLog(ctx, ex, keyhook.LogSuccessCredentialsExchange)
	tok, terr := h.sign(ctx, claims)
	if terr != nil {
		return nil, terr
	}
	resp := &tokenResponse{AccessToken: tok, ExpiresIn: lifetime, TokenType: "Bearer"}
	// RFC 6749 §5.1: scope is returned when it differs from what was asked;
	// a plain request for the grant's scopes gets Auth0's three fields.
	if req.HasScope || changed {
		resp.Scope = scopeOut
	}
	return resp, nil
}

func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
