package mgmtapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

type clientGrantView struct {
	ID                   string   `json:"id"`
	ClientID             string   `json:"client_id"`
	Audience             string   `json:"audience"`
	Scope                []string `json:"scope"`
	OrganizationUsage    string   `json:"organization_usage,omitempty"`
	AllowAnyOrganization bool     `json:"allow_any_organization"`
	IsSystem             bool     `json:"is_system"`
	SubjectType          string   `json:"subject_type,omitempty"`
}

func viewClientGrant(g *keyhook.ClientGrant) clientGrantView {
	scope := g.Scope
	if scope == nil {
		scope = []string{}
	}
	return clientGrantView{
		ID: g.ID, ClientID: g.ClientID, Audience: g.Audience, Scope: scope,
		OrganizationUsage: g.OrganizationUsage, AllowAnyOrganization: g.AllowAnyOrganization,
		IsSystem: g.IsSystem, SubjectType: g.SubjectType,
	}
}

var (
	organizationUsages = []string{"deny", "allow", "require"}
	subjectTypes       = []string{"client", "user"}

	clientGrantCreateProps = []string{"client_id", "audience", "scope", "organization_usage", "allow_any_organization", "subject_type",
		"default_for", "authorization_details_types", "allow_all_scopes"}
	clientGrantUpdateProps = []string{"scope", "organization_usage", "allow_any_organization",
		"authorization_details_types", "allow_all_scopes"}
	// clientGrantAcceptedOnly are the Auth0 properties keyhook takes and does
	// not store: a grant gets only the scopes it lists.
	clientGrantAcceptedOnly = map[string]string{
		"default_for": "string", "authorization_details_types": "array", "allow_all_scopes": "boolean|null",
	}
)

type clientGrantInput struct {
	ClientID, Audience, OrganizationUsage, SubjectType *string
	Scope                                              *[]string
	AllowAnyOrganization                               *bool
}

func parseClientGrantBody(o object, create bool) (clientGrantInput, error) {
	var in clientGrantInput
	for _, s := range []struct {
		name string
		dst  **string
	}{{"client_id", &in.ClientID}, {"audience", &in.Audience}, {"organization_usage", &in.OrganizationUsage}, {"subject_type", &in.SubjectType}} {
		var v string
		if ok, err := field(o, s.name, &v); err != nil {
			return in, err
		} else if ok {
			*s.dst = &v
		}
	}
	var scope []string
	if ok, err := field(o, "scope", &scope); err != nil {
		return in, err
	} else if ok {
		if scope == nil {
			scope = []string{}
		}
		in.Scope = &scope
	}
	if err := acceptedOnly(o, clientGrantAcceptedOnly); err != nil {
		return in, err
	}
	var any bool
	if ok, err := field(o, "allow_any_organization", &any); err != nil {
		return in, err
	} else if ok {
		in.AllowAnyOrganization = &any
	}
	if create {
		for _, req := range []struct {
			name string
			ok   bool
		}{{"client_id", in.ClientID != nil}, {"audience", in.Audience != nil}, {"scope", in.Scope != nil}} {
			if !req.ok {
				return in, missing(req.name)
			}
		}
	}
	if in.OrganizationUsage != nil && !slices.Contains(organizationUsages, *in.OrganizationUsage) {
		return in, payloadError("'No enum match for: \"%s\"' on property organization_usage (Allowed values: %s)", *in.OrganizationUsage, strings.Join(organizationUsages, ", "))
	}
	if in.SubjectType != nil && !slices.Contains(subjectTypes, *in.SubjectType) {
		return in, payloadError("'No enum match for: \"%s\"' on property subject_type (Allowed values: %s)", *in.SubjectType, strings.Join(subjectTypes, ", "))
	}
	return in, nil
}

// checkGrantScopes fails with a 400 when a scope is not defined by the
// resource server.
func checkGrantScopes(rs *keyhook.ResourceServer, scopes []string) error {
	defined := map[string]bool{}
	for _, s := range rs.Scopes {
		defined[s.Value] = true
	}
	var unknown []string
	for _, s := range scopes {
		if !defined[s] {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) > 0 {
		return badBody("Scopes not defined by the resource server %s: %s", rs.Identifier, strings.Join(unknown, ", "))
	}
	return nil
}

var errClientGrantExists = &apiError{Status: http.StatusConflict, Message: "A client grant for this client and audience already exists."}

func (h *Handler) createClientGrant(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(w, r, clientGrantCreateProps)
	if err != nil {
		return err
	}
	in, err := parseClientGrantBody(o, true)
	if err != nil {
		return err
	}
	now := h.now()
	g := &keyhook.ClientGrant{
		ID: keyhook.NewClientGrantID(), ClientID: *in.ClientID, Audience: *in.Audience, Scope: *in.Scope,
		CreatedAt: now, UpdatedAt: now,
	}
	if in.OrganizationUsage != nil {
		g.OrganizationUsage = *in.OrganizationUsage
	}
	if in.SubjectType != nil {
		g.SubjectType = *in.SubjectType
	}
	if in.AllowAnyOrganization != nil {
		g.AllowAnyOrganization = *in.AllowAnyOrganization
	}
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ClientGet(ctx, g.ClientID); err != nil {
			return notFoundAs(err, errClientNotFound)
		}
		rs, err := tx.ResourceServerGetByIdentifier(ctx, g.Audience)
		if errors.Is(err, store.ErrNotFound) {
			return newError(http.StatusNotFound, "inexistent_resource_server", "No resource server found for audience %s", g.Audience)
		}
		if err != nil {
			return fmt.Errorf("get resource server: %w", err)
		}
		if err := checkGrantScopes(rs, g.Scope); err != nil {
			return err
		}
		if _, err := tx.ClientGrantFind(ctx, g.ClientID, g.Audience); err == nil {
			return errClientGrantExists
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("find client grant: %w", err)
		}
		if err := tx.ClientGrantCreate(ctx, g); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errClientGrantExists
			}
			return fmt.Errorf("create client grant: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewClientGrant(g))
	return nil
}

func (h *Handler) getClientGrant(w http.ResponseWriter, r *http.Request) error {
	g, err := h.Store.ClientGrantGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errClientGrantNotFound)
	}
	writeJSON(w, http.StatusOK, viewClientGrant(g))
	return nil
}

func (h *Handler) updateClientGrant(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(w, r, clientGrantUpdateProps)
	if err != nil {
		return err
	}
	in, err := parseClientGrantBody(o, false)
	if err != nil {
		return err
	}
	var g *keyhook.ClientGrant
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		var err error
		g, err = tx.ClientGrantUpdate(ctx, r.PathValue("id"), func(g *keyhook.ClientGrant) error {
			if in.Scope != nil {
				rs, err := tx.ResourceServerGetByIdentifier(ctx, g.Audience)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("get resource server: %w", err)
				}
				if rs != nil && err == nil {
					if err := checkGrantScopes(rs, *in.Scope); err != nil {
						return err
					}
				}
				g.Scope = *in.Scope
			}
			if in.OrganizationUsage != nil {
				g.OrganizationUsage = *in.OrganizationUsage
			}
			if in.AllowAnyOrganization != nil {
				g.AllowAnyOrganization = *in.AllowAnyOrganization
			}
			g.UpdatedAt = h.now()
			return nil
		})
		if err != nil {
			return fmt.Errorf("update client grant: %w", notFoundAs(err, errClientGrantNotFound))
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewClientGrant(g))
	return nil
}

func (h *Handler) deleteClientGrant(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.ClientGrantDelete(r.Context(), r.PathValue("id")); err != nil {
		return notFoundAs(err, errClientGrantNotFound)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listClientGrants serves both pagination styles: checkpoint (take, from;
// what node-auth0 v5+ and go-auth0 v2+ send) answers {client_grants, next?};
// offset (page, per_page, include_totals) answers as every other list. The
// checkpoint cursor is the offset of the next page, opaque to callers.
func (h *Handler) listClientGrants(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := store.ClientGrantListParams{ClientID: q.Get("client_id"), Audience: q.Get("audience")}
	if _, _, err := queryBool(q, "allow_any_organization"); err != nil {
		return err
	}
	if st := q.Get("subject_type"); st != "" && !slices.Contains(subjectTypes, st) {
		return badQuery("'No enum match for: \"%s\"' on property subject_type (Allowed values: %s)", st, strings.Join(subjectTypes, ", "))
	}
	conv := func(g *keyhook.ClientGrant) any { return viewClientGrant(g) }
	if q.Has("take") || q.Has("from") {
		take, ok, err := queryInt(q, "take", 1, maxPerPage)
		if err != nil {
			return err
		}
		if !ok {
			take = defaultPerPage
		}
		offset := 0
		if from := q.Get("from"); from != "" {
			n, err := strconv.Atoi(from)
			if err != nil || n < 0 {
				return badQuery("'Invalid checkpoint: %s' on property from", from)
			}
			offset = n
		}
		// The store pages by page number; read the pages covering
		// [offset, offset+take) and cut.
		var items []keyhook.ClientGrant
		total := 0
		for pg := offset / take; ; pg++ {
			p.Page, p.PerPage = pg, take
			list, t, err := h.Store.ClientGrantList(r.Context(), p)
			if err != nil {
				return fmt.Errorf("list client grants: %w", err)
			}
			total = t
			start := 0
			if pg == offset/take {
				start = offset % take
			}
			if start < len(list) {
				items = append(items, list[start:]...)
			}
			if len(items) >= take || len(list) < take {
				break
			}
		}
		if len(items) > take {
			items = items[:take]
		}
		body := map[string]any{"client_grants": project(items, fieldSel{}, conv)}
		if next := offset + len(items); next < total {
			body["next"] = strconv.Itoa(next)
		}
		writeJSON(w, http.StatusOK, body)
		return nil
	}
	pq, err := parsePage(q)
	if err != nil {
		return err
	}
	p.Page, p.PerPage = pq.storePage()
	list, total, err := h.Store.ClientGrantList(r.Context(), p)
	if err != nil {
		return fmt.Errorf("list client grants: %w", err)
	}
	writePage(w, pq, "client_grants", project(trim(pq, list), fieldSel{}, conv), total, false)
	return nil
}
