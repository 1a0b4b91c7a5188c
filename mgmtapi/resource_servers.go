package mgmtapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

type resourceServerView struct {
	ID                  string                        `json:"id"`
	Name                string                        `json:"name"`
	Identifier          string                        `json:"identifier"`
	IsSystem            bool                          `json:"is_system"`
	Scopes              []keyhook.ResourceServerScope `json:"scopes"`
	SigningAlg          string                        `json:"signing_alg"`
	AllowOfflineAccess  bool                          `json:"allow_offline_access"`
	SkipConsent         bool                          `json:"skip_consent_for_verifiable_first_party_clients"`
	TokenLifetime       int                           `json:"token_lifetime"`
	TokenLifetimeForWeb int                           `json:"token_lifetime_for_web"`
	TokenDialect        string                        `json:"token_dialect,omitempty"`
	EnforcePolicies     bool                          `json:"enforce_policies"`
}

func viewResourceServer(rs *keyhook.ResourceServer) resourceServerView {
	scopes := rs.Scopes
	if scopes == nil {
		scopes = []keyhook.ResourceServerScope{}
	}
	return resourceServerView{
		ID: rs.ID, Name: rs.Name, Identifier: rs.Identifier, IsSystem: rs.IsSystem, Scopes: scopes,
		SigningAlg: rs.SigningAlg, AllowOfflineAccess: rs.AllowOfflineAccess, SkipConsent: rs.SkipConsent,
		TokenLifetime: rs.TokenLifetime, TokenLifetimeForWeb: rs.TokenLifetimeForWeb,
		TokenDialect: rs.TokenDialect, EnforcePolicies: rs.EnforcePolicies,
	}
}

var (
	signingAlgs   = []string{"RS256", "HS256", "PS256"}
	tokenDialects = []string{"access_token", "access_token_authz", "rfc9068_profile", "rfc9068_profile_authz"}

	resourceServerUpdateProps = append([]string{
		"name", "scopes", "signing_alg", "signing_secret", "allow_offline_access", "token_lifetime",
		"token_lifetime_for_web", "skip_consent_for_verifiable_first_party_clients", "token_dialect",
		"enforce_policies",
	}, sortedKeys(resourceServerAcceptedOnly)...)
	// resourceServerAcceptedOnly are the Auth0 properties keyhook takes and
	// does not store: none changes what keyhook issues except the two
	// refused when set (resourceServerUnsupported).
	resourceServerAcceptedOnly = map[string]string{
		"allow_online_access": "boolean", "consent_policy": "string|null", "authorization_details": "array|null",
		"token_encryption": "object|null", "proof_of_possession": "object|null",
		"subject_type_authorization": "object", "authorization_policy": "object|null",
	}
	// resourceServerUnsupported would make tokens keyhook cannot issue
	// (encrypted, or bound to a key): refused unless null.
	resourceServerUnsupported = []string{"token_encryption", "proof_of_possession"}
	resourceServerCreateProps = append([]string{"identifier"}, resourceServerUpdateProps...)
)

// Auth0's bounds on token lifetimes, in seconds.
const (
	maxTokenLifetime       = 2592000
	maxTokenLifetimeForWeb = 86400
)

type resourceServerInput struct {
	Identifier, Name, SigningAlg, TokenDialect *string
	Scopes                                     *[]keyhook.ResourceServerScope
	AllowOffline, SkipConsent, Enforce         *bool
	TokenLifetime, TokenLifetimeForWeb         *int
}

func parseResourceServerBody(o object, create bool) (resourceServerInput, error) {
	var in resourceServerInput
	for _, s := range []struct {
		name string
		dst  **string
	}{{"identifier", &in.Identifier}, {"name", &in.Name}, {"signing_alg", &in.SigningAlg}, {"token_dialect", &in.TokenDialect}} {
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
	}{{"allow_offline_access", &in.AllowOffline}, {"skip_consent_for_verifiable_first_party_clients", &in.SkipConsent}, {"enforce_policies", &in.Enforce}} {
		var v bool
		if ok, err := field(o, b.name, &v); err != nil {
			return in, err
		} else if ok {
			*b.dst = &v
		}
	}
	for _, n := range []struct {
		name string
		dst  **int
		max  int
	}{{"token_lifetime", &in.TokenLifetime, maxTokenLifetime}, {"token_lifetime_for_web", &in.TokenLifetimeForWeb, maxTokenLifetimeForWeb}} {
		var v int
		if ok, err := field(o, n.name, &v); err != nil {
			return in, err
		} else if ok {
			if v < 1 || v > n.max {
				return in, payloadError("'Value %d is out of range (1 to %d)' on property %s", v, n.max, n.name)
			}
			*n.dst = &v
		}
	}
	var scopes []keyhook.ResourceServerScope
	if ok, err := field(o, "scopes", &scopes); err != nil {
		return in, err
	} else if ok {
		seen := map[string]bool{}
		for i, s := range scopes {
			if s.Value == "" || strings.ContainsAny(s.Value, " \t\r\n") {
				return in, payloadError("'Invalid scope value %q' on property scopes[%d].value", s.Value, i)
			}
			if seen[s.Value] {
				return in, payloadError("'Duplicate scope %q' on property scopes", s.Value)
			}
			seen[s.Value] = true
		}
		if scopes == nil {
			scopes = []keyhook.ResourceServerScope{}
		}
		in.Scopes = &scopes
	}
	if o.has("signing_secret") {
		return in, badBody("signing_secret is not supported: keyhook signs access tokens with its own keys")
	}
	if err := acceptedOnly(o, resourceServerAcceptedOnly); err != nil {
		return in, err
	}
	for _, name := range resourceServerUnsupported {
		if o.has(name) && !o.isNull(name) {
			return in, badBody("%s is not supported by keyhook", name)
		}
	}
	if create && in.Identifier == nil {
		return in, missing("identifier")
	}
	// Maximum lengths are checked with the body (limits.go).
	if in.Identifier != nil && strings.TrimSpace(*in.Identifier) == "" {
		return in, payloadError("'String length must be between 1 and %d' on property identifier", keyhook.MaxIdentifierLen)
	}
	if in.Name != nil && strings.ContainsAny(*in.Name, "<>") {
		return in, payloadError("'String does not match pattern ^[^<>]+$: %s' on property name", *in.Name)
	}
	if in.SigningAlg != nil && !slices.Contains(signingAlgs, *in.SigningAlg) {
		return in, payloadError("'No enum match for: \"%s\"' on property signing_alg (Allowed values: %s)", *in.SigningAlg, strings.Join(signingAlgs, ", "))
	}
	if in.TokenDialect != nil && !slices.Contains(tokenDialects, *in.TokenDialect) {
		return in, payloadError("'No enum match for: \"%s\"' on property token_dialect (Allowed values: %s)", *in.TokenDialect, strings.Join(tokenDialects, ", "))
	}
	return in, nil
}

func (in resourceServerInput) apply(rs *keyhook.ResourceServer) {
	if in.Name != nil {
		rs.Name = *in.Name
	}
	if in.SigningAlg != nil {
		rs.SigningAlg = *in.SigningAlg
	}
	if in.TokenDialect != nil {
		rs.TokenDialect = *in.TokenDialect
	}
	if in.Scopes != nil {
		rs.Scopes = *in.Scopes
	}
	if in.AllowOffline != nil {
		rs.AllowOfflineAccess = *in.AllowOffline
	}
	if in.SkipConsent != nil {
		rs.SkipConsent = *in.SkipConsent
	}
	if in.Enforce != nil {
		rs.EnforcePolicies = *in.Enforce
	}
	if in.TokenLifetime != nil {
		rs.TokenLifetime = *in.TokenLifetime
	}
	if in.TokenLifetimeForWeb != nil {
		rs.TokenLifetimeForWeb = *in.TokenLifetimeForWeb
	}
}

// findResourceServer resolves the {id} path value: an id, or an identifier
// (URL-encoded by the caller, decoded by the mux).
func findResourceServer(ctx context.Context, q store.Querier, idOrIdentifier string) (*keyhook.ResourceServer, error) {
	rs, err := q.ResourceServerGet(ctx, idOrIdentifier)
	if errors.Is(err, store.ErrNotFound) {
		rs, err = q.ResourceServerGetByIdentifier(ctx, idOrIdentifier)
	}
	if err != nil {
		return nil, notFoundAs(err, errResourceServerNotFound)
	}
	return rs, nil
}

func errSystemResourceServer(action string) error {
	return newError(http.StatusForbidden, "operation_not_supported", "You cannot %s a system resource server", action)
}

func (h *Handler) createResourceServer(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(w, r, resourceServerCreateProps)
	if err != nil {
		return err
	}
	in, err := parseResourceServerBody(o, true)
	if err != nil {
		return err
	}
	now := h.now()
	rs := &keyhook.ResourceServer{
		ID: keyhook.NewResourceServerID(), Identifier: *in.Identifier, Name: *in.Identifier,
		SigningAlg: "RS256", TokenLifetime: 86400, TokenLifetimeForWeb: 7200,
		Scopes: []keyhook.ResourceServerScope{}, CreatedAt: now, UpdatedAt: now,
	}
	in.apply(rs)
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ResourceServerGetByIdentifier(ctx, rs.Identifier); err == nil {
			return errResourceServerExists
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("get resource server: %w", err)
		}
		if err := tx.ResourceServerCreate(ctx, rs); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errResourceServerExists
			}
			return fmt.Errorf("create resource server: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewResourceServer(rs))
	return nil
}

var errResourceServerExists = &apiError{Status: http.StatusConflict, Message: "A resource server with the same identifier already exists"}

func (h *Handler) getResourceServer(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseFields(r.URL.Query())
	if err != nil {
		return err
	}
	rs, err := findResourceServer(r.Context(), h.Store, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sel.apply(viewResourceServer(rs)))
	return nil
}

func (h *Handler) updateResourceServer(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(w, r, resourceServerUpdateProps)
	if err != nil {
		return err
	}
	in, err := parseResourceServerBody(o, false)
	if err != nil {
		return err
	}
	var rs *keyhook.ResourceServer
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		found, err := findResourceServer(ctx, tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		rs, err = tx.ResourceServerUpdate(ctx, found.ID, func(rs *keyhook.ResourceServer) error {
			if rs.IsSystem {
				return errSystemResourceServer("update")
			}
			in.apply(rs)
			rs.UpdatedAt = h.now()
			return nil
		})
		if err != nil {
			return fmt.Errorf("update resource server: %w", notFoundAs(err, errResourceServerNotFound))
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewResourceServer(rs))
	return nil
}

func (h *Handler) deleteResourceServer(w http.ResponseWriter, r *http.Request) error {
	err := h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		rs, err := findResourceServer(ctx, tx, r.PathValue("id"))
		if errors.Is(err, errResourceServerNotFound) {
			// Auth0 answers 204 for a resource server that does not exist.
			return nil
		}
		if err != nil {
			return err
		}
		if rs.IsSystem {
			return errSystemResourceServer("delete")
		}
		if err := tx.ResourceServerDelete(ctx, rs.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete resource server: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listResourceServers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pq, err := parsePage(q)
	if err != nil {
		return err
	}
	sel, err := parseFields(q)
	if err != nil {
		return err
	}
	p := store.ResourceServerListParams{}
	for _, v := range q["identifiers"] {
		if v != "" {
			p.Identifiers = append(p.Identifiers, v)
		}
	}
	p.Page, p.PerPage = pq.storePage()
	list, total, err := h.Store.ResourceServerList(r.Context(), p)
	if err != nil {
		return fmt.Errorf("list resource servers: %w", err)
	}
	writePage(w, pq, "resource_servers", project(trim(pq, list), sel, func(rs *keyhook.ResourceServer) any { return viewResourceServer(rs) }), total, false)
	return nil
}
