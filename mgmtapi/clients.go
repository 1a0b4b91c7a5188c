package mgmtapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var appTypes = []string{
	"native", "spa", "regular_web", "non_interactive", "resource_server", "express_configuration",
	"rms", "box", "cloudbees", "concur", "dropbox", "mscrm", "echosign", "egnyte", "newrelic",
	"office365", "salesforce", "sentry", "sharepoint", "slack", "springcm", "zendesk", "zoom",
	"sso_integration", "oag",
}

var tokenEndpointAuthMethods = []string{"none", "client_secret_post", "client_secret_basic"}

// clientCoreProps are the client properties keyhook interprets.
var clientCoreProps = []string{
	"name", "description", "app_type", "is_first_party", "oidc_conformant", "callbacks",
	"allowed_origins", "web_origins", "allowed_logout_urls", "grant_types",
	"token_endpoint_auth_method", "client_metadata", "client_secret",
}

// clientExtraProps are Auth0 client properties keyhook accepts, stores in
// Client.Extra and returns as given, without interpreting them.
var clientExtraProps = []string{
	"logo_uri", "client_aliases", "allowed_clients", "jwt_configuration", "encryption_key", "sso",
	"sso_disabled", "cross_origin_authentication", "cross_origin_auth", "cross_origin_loc",
	"custom_login_page_on", "custom_login_page", "custom_login_page_preview", "form_template",
	"addons", "mobile", "initiate_login_uri", "native_social_login", "refresh_token",
	"default_organization", "organization_usage", "organization_require_behavior",
	"client_authentication_methods", "require_pushed_authorization_requests",
	"require_proof_of_possession", "signed_request_object", "compliance_level", "oidc_logout",
	"oidc_backchannel_logout", "session_transfer", "token_quota", "is_token_endpoint_ip_header_trusted",
	"callback_url_template", "par_request_expiry", "skip_non_verifiable_callback_uri_confirmation_prompt",
	"token_exchange", "express_configuration", "my_organization_configuration", "third_party_security_mode",
	"organization_discovery_methods", "async_approval_notification_channels", "redirection_policy",
	"resource_server_identifier", "app_type_configuration",
}

var clientCreateProps = append(append([]string{}, clientCoreProps...), clientExtraProps...)

// viewClient renders a client; secret is the plaintext, shown only when it
// has just been generated.
func (h *Handler) viewClient(c *keyhook.Client, secret string) map[string]any {
	out := make(map[string]any, len(c.Extra)+16)
	for k, v := range c.Extra {
		out[k] = v
	}
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	meta := c.ClientMetadata
	if meta == nil {
		meta = map[string]string{}
	}
	core := map[string]any{
		"client_id":           c.ClientID,
		"name":                c.Name,
		"global":              c.Global,
		"is_first_party":      c.IsFirstParty,
		"oidc_conformant":     c.OIDCConformant,
		"callbacks":           nonNil(c.Callbacks),
		"allowed_origins":     nonNil(c.AllowedOrigins),
		"web_origins":         nonNil(c.WebOrigins),
		"allowed_logout_urls": nonNil(c.AllowedLogoutURLs),
		"grant_types":         nonNil(c.GrantTypes),
		"client_metadata":     meta,
	}
	for k, v := range core {
		out[k] = v
	}
	if h.Tenant != "" {
		out["tenant"] = h.Tenant
	}
	if c.Description != "" {
		out["description"] = c.Description
	}
	if c.AppType != "" {
		out["app_type"] = c.AppType
	}
	if c.TokenEndpointAuthMethod != "" {
		out["token_endpoint_auth_method"] = c.TokenEndpointAuthMethod
	}
	if secret != "" {
		out["client_secret"] = secret
	}
	return out
}

// clientInput is a validated client body.
type clientInput struct {
	o            object
	Name         *string
	Description  *string
	AppType      *string
	FirstParty   *bool
	OIDC         *bool
	Callbacks    *[]string
	Origins      *[]string
	WebOrigins   *[]string
	LogoutURLs   *[]string
	GrantTypes   *[]string
	AuthMethod   *string
	Metadata     *map[string]string
	ClientSecret *string
	Extra        map[string]json.RawMessage
}

func parseClientBody(o object, create bool) (clientInput, error) {
	in := clientInput{o: o, Extra: map[string]json.RawMessage{}}
	strs := []struct {
		name string
		dst  **string
	}{{"name", &in.Name}, {"description", &in.Description}, {"app_type", &in.AppType},
		{"token_endpoint_auth_method", &in.AuthMethod}, {"client_secret", &in.ClientSecret}}
	for _, s := range strs {
		var v string
		if ok, err := field(o, s.name, &v); err != nil {
			return in, err
		} else if ok {
			*s.dst = &v
		}
	}
	for _, b := range []struct {
		name string
		dst  **bool
	}{{"is_first_party", &in.FirstParty}, {"oidc_conformant", &in.OIDC}} {
		var v bool
		if ok, err := field(o, b.name, &v); err != nil {
			return in, err
		} else if ok {
			*b.dst = &v
		}
	}
	for _, l := range []struct {
		name string
		dst  **[]string
	}{{"callbacks", &in.Callbacks}, {"allowed_origins", &in.Origins}, {"web_origins", &in.WebOrigins},
		{"allowed_logout_urls", &in.LogoutURLs}, {"grant_types", &in.GrantTypes}} {
		var v []string
		if ok, err := field(o, l.name, &v); err != nil {
			return in, err
		} else if ok {
			if v == nil {
				v = []string{}
			}
			*l.dst = &v
		}
	}
	if meta, ok, err := stringMap(o, "client_metadata"); err != nil {
		return in, err
	} else if ok {
		if meta == nil {
			meta = map[string]string{}
		}
		in.Metadata = &meta
	}
	for _, k := range clientExtraProps {
		if raw, ok := o[k]; ok {
			in.Extra[k] = raw
		}
	}

	if create && in.Name == nil {
		return in, missing("name")
	}
	if in.Name != nil && (strings.TrimSpace(*in.Name) == "" || strings.ContainsAny(*in.Name, "<>")) {
		return in, payloadError("'String does not match pattern ^[^<>]+$: %s' on property name (The name of the client)", *in.Name)
	}
	if in.AppType != nil && !slices.Contains(appTypes, *in.AppType) {
		return in, payloadError("'No enum match for: \"%s\"' on property app_type (Allowed values: %s)", *in.AppType, strings.Join(appTypes, ", "))
	}
	if in.AuthMethod != nil && !slices.Contains(tokenEndpointAuthMethods, *in.AuthMethod) {
		return in, payloadError("'No enum match for: \"%s\"' on property token_endpoint_auth_method (Allowed values: %s)", *in.AuthMethod, strings.Join(tokenEndpointAuthMethods, ", "))
	}
	// Maximum lengths are checked with the body (limits.go).
	if in.ClientSecret != nil && len(*in.ClientSecret) < keyhook.MinClientSecretLen {
		return in, payloadError("'String is too short (%d chars), minimum %d' on property client_secret", len(*in.ClientSecret), keyhook.MinClientSecretLen)
	}
	return in, nil
}

func (in clientInput) apply(c *keyhook.Client) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setList := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Name, in.Name)
	set(&c.Description, in.Description)
	set(&c.AppType, in.AppType)
	set(&c.TokenEndpointAuthMethod, in.AuthMethod)
	if in.FirstParty != nil {
		c.IsFirstParty = *in.FirstParty
	}
	if in.OIDC != nil {
		c.OIDCConformant = *in.OIDC
	}
	setList(&c.Callbacks, in.Callbacks)
	setList(&c.AllowedOrigins, in.Origins)
	setList(&c.WebOrigins, in.WebOrigins)
	setList(&c.AllowedLogoutURLs, in.LogoutURLs)
	setList(&c.GrantTypes, in.GrantTypes)
	if in.Metadata != nil {
		c.ClientMetadata = *in.Metadata
	}
	if c.Extra == nil {
		c.Extra = map[string]json.RawMessage{}
	}
	for k, v := range in.Extra {
		if in.o.isNull(k) {
			delete(c.Extra, k)
			continue
		}
		c.Extra[k] = v
	}
	if in.ClientSecret != nil {
		c.SecretHash = keyhook.HashClientSecret(*in.ClientSecret)
	}
}

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(w, r, clientCreateProps)
	if err != nil {
		return err
	}
	in, err := parseClientBody(o, true)
	if err != nil {
		return err
	}
	now := h.now()
	c := &keyhook.Client{ClientID: keyhook.NewClientID(), IsFirstParty: true, CreatedAt: now, UpdatedAt: now}
	in.apply(c)
	// Omitted grant types get the app type's defaults; an explicit [] is
	// kept and allows no grant at all.
	if in.GrantTypes == nil {
		c.GrantTypes = keyhook.DefaultGrantTypes(c.AppType)
	}
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = keyhook.DefaultTokenEndpointAuthMethod(c.AppType)
	}
	secret := keyhook.NewClientSecret()
	if in.ClientSecret != nil {
		secret = *in.ClientSecret
	}
	c.SecretHash = keyhook.HashClientSecret(secret)
	if err := h.Store.ClientCreate(r.Context(), c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return conflict("", "A client with the same client_id already exists")
		}
		return fmt.Errorf("create client: %w", err)
	}
	writeJSON(w, http.StatusCreated, h.viewClient(c, secret))
	return nil
}

func (h *Handler) getClient(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseFields(r.URL.Query())
	if err != nil {
		return err
	}
	c, err := h.Store.ClientGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errClientNotFound)
	}
	writeJSON(w, http.StatusOK, sel.apply(h.viewClient(c, "")))
	return nil
}

func (h *Handler) updateClient(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(w, r, clientCreateProps)
	if err != nil {
		return err
	}
	in, err := parseClientBody(o, false)
	if err != nil {
		return err
	}
	if in.ClientSecret != nil {
		// update:clients alone may change everything but the credentials.
		if ae := principalFrom(r.Context()).require("update:client_keys"); ae != nil {
			return ae
		}
	}
	c, err := h.Store.ClientUpdate(r.Context(), r.PathValue("id"), func(c *keyhook.Client) error {
		in.apply(c)
		c.UpdatedAt = h.now()
		return nil
	})
	if err != nil {
		return fmt.Errorf("update client: %w", notFoundAs(err, errClientNotFound))
	}
	// A secret set through PATCH is the caller's own; it is not echoed.
	writeJSON(w, http.StatusOK, h.viewClient(c, ""))
	return nil
}

func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.ClientDelete(r.Context(), r.PathValue("id")); err != nil {
		return notFoundAs(err, errClientNotFound)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) rotateClientSecret(w http.ResponseWriter, r *http.Request) error {
	secret := keyhook.NewClientSecret()
	c, err := h.Store.ClientUpdate(r.Context(), r.PathValue("id"), func(c *keyhook.Client) error {
		c.SecretHash = keyhook.HashClientSecret(secret)
		c.UpdatedAt = h.now()
		return nil
	})
	if err != nil {
		return fmt.Errorf("rotate client secret: %w", notFoundAs(err, errClientNotFound))
	}
	writeJSON(w, http.StatusOK, h.viewClient(c, secret))
	return nil
}

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pq, err := parsePage(q)
	if err != nil {
		return err
	}
	sel, err := parseFields(q)
	if err != nil {
		return err
	}
	isGlobal, _, err := queryBool(q, "is_global")
	if err != nil {
		return err
	}
	firstParty, _, err := queryBool(q, "is_first_party")
	if err != nil {
		return err
	}
	var appTypeFilter []string
	if s := q.Get("app_type"); s != "" {
		appTypeFilter = strings.Split(s, ",")
	}
	conv := func(c *keyhook.Client) any { return h.viewClient(c, "") }
	if isGlobal == nil && firstParty == nil && appTypeFilter == nil {
		page, perPage := pq.storePage()
		clients, total, err := h.Store.ClientList(r.Context(), store.PageParams{Page: page, PerPage: perPage})
		if err != nil {
			return fmt.Errorf("list clients: %w", err)
		}
		writePage(w, pq, "clients", project(trim(pq, clients), sel, conv), total, false)
		return nil
	}
	// Filters the store does not know: read all clients (there are few)
	// and page in memory.
	var matched []keyhook.Client
	for p := 0; ; p++ {
		clients, total, err := h.Store.ClientList(r.Context(), store.PageParams{Page: p, PerPage: maxPerPage})
		if err != nil {
			return fmt.Errorf("list clients: %w", err)
		}
		for _, c := range clients {
			if (isGlobal == nil || c.Global == *isGlobal) &&
				(firstParty == nil || c.IsFirstParty == *firstParty) &&
				(appTypeFilter == nil || slices.Contains(appTypeFilter, c.AppType)) {
				matched = append(matched, c)
			}
		}
		if len(clients) < maxPerPage || (p+1)*maxPerPage >= total {
			break
		}
	}
	writePage(w, pq, "clients", project(pageSlice(matched, pq), sel, conv), len(matched), false)
	return nil
}

// pageSlice cuts one offset page out of items.
func pageSlice[T any](items []T, pq pageQuery) []T {
	start := pq.Page * pq.PerPage
	if start >= len(items) || pq.PerPage == 0 {
		return []T{}
	}
	return items[start:min(len(items), start+pq.PerPage)]
}
