package postgres

import (
	"context"
	"fmt"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
)

// ---- clients ----

func clientFromRow(r dbsqlc.Client) (*keyhook.Client, error) {
	c := &keyhook.Client{
		ClientID: r.ClientID, SecretHash: r.SecretHash, Name: r.Name, Description: r.Description,
		AppType: r.AppType, IsFirstParty: r.IsFirstParty, OIDCConformant: r.OidcConformant,
		TokenEndpointAuthMethod: r.TokenEndpointAuthMethod, Global: r.Global,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	var j jsonCols
	j.decode(r.GrantTypes, &c.GrantTypes)
	j.decode(r.Callbacks, &c.Callbacks)
	j.decode(r.AllowedOrigins, &c.AllowedOrigins)
	j.decode(r.WebOrigins, &c.WebOrigins)
	j.decode(r.AllowedLogoutUrls, &c.AllowedLogoutURLs)
	j.decode(r.ClientMetadata, &c.ClientMetadata)
	j.decode(r.Extra, &c.Extra)
	if j.err != nil {
		return nil, j.err
	}
	return c, compactRaw(c.Extra)
}

func (q *queries) ClientCreate(ctx context.Context, c *keyhook.Client) error {
	if err := requireID("client", c.ClientID); err != nil {
		return err
	}
	stamp(&c.CreatedAt, &c.UpdatedAt)
	var j jsonArgs
	p := dbsqlc.ClientCreateParams{
		ClientID: c.ClientID, SecretHash: c.SecretHash, Name: c.Name, Description: c.Description,
		AppType: c.AppType, IsFirstParty: c.IsFirstParty, OidcConformant: c.OIDCConformant,
		GrantTypes: j.encode(c.GrantTypes, "[]"), Callbacks: j.encode(c.Callbacks, "[]"),
		AllowedOrigins: j.encode(c.AllowedOrigins, "[]"), WebOrigins: j.encode(c.WebOrigins, "[]"),
		AllowedLogoutUrls: j.encode(c.AllowedLogoutURLs, "[]"), TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		ClientMetadata: j.encode(c.ClientMetadata, "{}"), Extra: j.encode(c.Extra, "{}"), Global: c.Global,
		CreatedAt: normTime(c.CreatedAt), UpdatedAt: normTime(c.UpdatedAt),
	}
	if j.err != nil {
		return fmt.Errorf("postgres: create client: %w", j.err)
	}
	return dbErr("create client", q.db.ClientCreate(ctx, p))
}

func (q *queries) ClientGet(ctx context.Context, clientID string) (*keyhook.Client, error) {
	row, err := q.db.ClientGet(ctx, clientID)
	return oneOf("get client", row, err, clientFromRow)
}

func (q *queries) ClientList(ctx context.Context, p store.PageParams) ([]keyhook.Client, int, error) {
	total, err := q.db.ClientCount(ctx)
	if err != nil {
		return nil, 0, dbErr("list clients", err)
	}
	limit, offset := limitOffset(p)
	rows, err := q.db.ClientList(ctx, dbsqlc.ClientListParams{Limit: limit, Offset: offset})
	clients, err := rowsOf("list clients", rows, err, clientFromRow)
	if err != nil {
		return nil, 0, err
	}
	return clients, int(total), nil
}

func (q *queries) ClientUpdate(ctx context.Context, clientID string, fn func(c *keyhook.Client) error) (*keyhook.Client, error) {
	return update(ctx, q, "update client",
		func(q *queries) (*keyhook.Client, error) {
			row, err := q.db.ClientGetForUpdate(ctx, clientID)
			return oneOf("update client", row, err, clientFromRow)
		},
		func(c *keyhook.Client) rowFields { return rowFields{&c.ClientID, &c.CreatedAt, &c.UpdatedAt} },
		fn, func(q *queries, c *keyhook.Client) (*keyhook.Client, error) {
			var j jsonArgs
			p := dbsqlc.ClientUpdateParams{
				ClientID: c.ClientID, SecretHash: c.SecretHash, Name: c.Name, Description: c.Description,
				AppType: c.AppType, IsFirstParty: c.IsFirstParty, OidcConformant: c.OIDCConformant,
				GrantTypes: j.encode(c.GrantTypes, "[]"), Callbacks: j.encode(c.Callbacks, "[]"),
				AllowedOrigins: j.encode(c.AllowedOrigins, "[]"), WebOrigins: j.encode(c.WebOrigins, "[]"),
				AllowedLogoutUrls: j.encode(c.AllowedLogoutURLs, "[]"), TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
				ClientMetadata: j.encode(c.ClientMetadata, "{}"), Extra: j.encode(c.Extra, "{}"), Global: c.Global,
				UpdatedAt: normTime(c.UpdatedAt),
			}
			if j.err != nil {
				return nil, fmt.Errorf("postgres: update client: %w", j.err)
			}
			row, err := q.db.ClientUpdate(ctx, p)
			return oneOf("update client", row, err, clientFromRow)
		})
}

func (q *queries) ClientDelete(ctx context.Context, clientID string) error {
	n, err := q.db.ClientDelete(ctx, clientID)
	return mustAffect("delete client", n, err)
}

// ---- resource servers ----

func resourceServerFromRow(r dbsqlc.ResourceServer) (*keyhook.ResourceServer, error) {
	rs := &keyhook.ResourceServer{
		ID: r.ID, Identifier: r.Identifier, Name: r.Name, SigningAlg: r.SigningAlg,
		TokenLifetime: int(r.TokenLifetime), TokenLifetimeForWeb: int(r.TokenLifetimeForWeb),
		AllowOfflineAccess: r.AllowOfflineAccess, SkipConsent: r.SkipConsent, TokenDialect: r.TokenDialect,
		EnforcePolicies: r.EnforcePolicies, IsSystem: r.IsSystem,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	var j jsonCols
	j.decode(r.Scopes, &rs.Scopes)
	return rs, j.err
}

func (q *queries) ResourceServerCreate(ctx context.Context, rs *keyhook.ResourceServer) error {
	if err := requireID("resource server", rs.ID); err != nil {
		return err
	}
	stamp(&rs.CreatedAt, &rs.UpdatedAt)
	var j jsonArgs
	p := dbsqlc.ResourceServerCreateParams{
		ID: rs.ID, Identifier: rs.Identifier, Name: rs.Name, Scopes: j.encode(rs.Scopes, "[]"),
		SigningAlg: rs.SigningAlg, TokenLifetime: int32(rs.TokenLifetime),
		TokenLifetimeForWeb: int32(rs.TokenLifetimeForWeb), AllowOfflineAccess: rs.AllowOfflineAccess,
		SkipConsent: rs.SkipConsent, TokenDialect: rs.TokenDialect, EnforcePolicies: rs.EnforcePolicies,
		IsSystem: rs.IsSystem, CreatedAt: normTime(rs.CreatedAt), UpdatedAt: normTime(rs.UpdatedAt),
	}
	if j.err != nil {
		return fmt.Errorf("postgres: create resource server: %w", j.err)
	}
	return dbErr("create resource server", q.db.ResourceServerCreate(ctx, p))
}

func (q *queries) ResourceServerGet(ctx context.Context, id string) (*keyhook.ResourceServer, error) {
	row, err := q.db.ResourceServerGet(ctx, id)
	return oneOf("get resource server", row, err, resourceServerFromRow)
}

func (q *queries) ResourceServerGetByIdentifier(ctx context.Context, identifier string) (*keyhook.ResourceServer, error) {
	row, err := q.db.ResourceServerGetByIdentifier(ctx, identifier)
	return oneOf("get resource server", row, err, resourceServerFromRow)
}

func (q *queries) ResourceServerList(ctx context.Context, p store.ResourceServerListParams) ([]keyhook.ResourceServer, int, error) {
	filter, identifiers := len(p.Identifiers) > 0, p.Identifiers
	total, err := q.db.ResourceServerCount(ctx, dbsqlc.ResourceServerCountParams{FilterIdentifiers: filter, Identifiers: identifiers})
	if err != nil {
		return nil, 0, dbErr("list resource servers", err)
	}
	limit, offset := limitOffset(p.PageParams)
	rows, err := q.db.ResourceServerList(ctx, dbsqlc.ResourceServerListParams{
		FilterIdentifiers: filter, Identifiers: identifiers, Limit: limit, Offset: offset,
	})
	servers, err := rowsOf("list resource servers", rows, err, resourceServerFromRow)
	if err != nil {
		return nil, 0, err
	}
	return servers, int(total), nil
}

func (q *queries) ResourceServerUpdate(ctx context.Context, id string, fn func(rs *keyhook.ResourceServer) error) (*keyhook.ResourceServer, error) {
	return update(ctx, q, "update resource server",
		func(q *queries) (*keyhook.ResourceServer, error) {
			row, err := q.db.ResourceServerGetForUpdate(ctx, id)
			return oneOf("update resource server", row, err, resourceServerFromRow)
		},
		func(rs *keyhook.ResourceServer) rowFields { return rowFields{&rs.ID, &rs.CreatedAt, &rs.UpdatedAt} },
		fn, func(q *queries, rs *keyhook.ResourceServer) (*keyhook.ResourceServer, error) {
			var j jsonArgs
			p := dbsqlc.ResourceServerUpdateParams{
				ID: rs.ID, Identifier: rs.Identifier, Name: rs.Name, Scopes: j.encode(rs.Scopes, "[]"),
				SigningAlg: rs.SigningAlg, TokenLifetime: int32(rs.TokenLifetime),
				TokenLifetimeForWeb: int32(rs.TokenLifetimeForWeb), AllowOfflineAccess: rs.AllowOfflineAccess,
				SkipConsent: rs.SkipConsent, TokenDialect: rs.TokenDialect, EnforcePolicies: rs.EnforcePolicies,
				IsSystem: rs.IsSystem, UpdatedAt: normTime(rs.UpdatedAt),
			}
			if j.err != nil {
				return nil, fmt.Errorf("postgres: update resource server: %w", j.err)
			}
			row, err := q.db.ResourceServerUpdate(ctx, p)
			return oneOf("update resource server", row, err, resourceServerFromRow)
		})
}

func (q *queries) ResourceServerDelete(ctx context.Context, id string) error {
	n, err := q.db.ResourceServerDelete(ctx, id)
	return mustAffect("delete resource server", n, err)
}

// ---- client grants ----

func clientGrantFromRow(r dbsqlc.ClientGrant) (*keyhook.ClientGrant, error) {
	g := &keyhook.ClientGrant{
		ID: r.ID, ClientID: r.ClientID, Audience: r.Audience, AllowAnyOrganization: r.AllowAnyOrganization,
		OrganizationUsage: r.OrganizationUsage, SubjectType: r.SubjectType, IsSystem: r.IsSystem,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	var j jsonCols
	j.decode(r.Scope, &g.Scope)
	return g, j.err
}

func (q *queries) ClientGrantCreate(ctx context.Context, g *keyhook.ClientGrant) error {
	if err := requireID("client grant", g.ID); err != nil {
		return err
	}
	stamp(&g.CreatedAt, &g.UpdatedAt)
	var j jsonArgs
	p := dbsqlc.ClientGrantCreateParams{
		ID: g.ID, ClientID: g.ClientID, Audience: g.Audience, Scope: j.encode(g.Scope, "[]"),
		AllowAnyOrganization: g.AllowAnyOrganization, OrganizationUsage: g.OrganizationUsage,
		SubjectType: g.SubjectType, IsSystem: g.IsSystem,
		CreatedAt: normTime(g.CreatedAt), UpdatedAt: normTime(g.UpdatedAt),
	}
	if j.err != nil {
		return fmt.Errorf("postgres: create client grant: %w", j.err)
	}
	return dbErr("create client grant", q.db.ClientGrantCreate(ctx, p))
}

func (q *queries) ClientGrantGet(ctx context.Context, id string) (*keyhook.ClientGrant, error) {
	row, err := q.db.ClientGrantGet(ctx, id)
	return oneOf("get client grant", row, err, clientGrantFromRow)
}

func (q *queries) ClientGrantFind(ctx context.Context, clientID, audience string) (*keyhook.ClientGrant, error) {
	row, err := q.db.ClientGrantFind(ctx, dbsqlc.ClientGrantFindParams{ClientID: clientID, Audience: audience})
	return oneOf("find client grant", row, err, clientGrantFromRow)
}

func (q *queries) ClientGrantList(ctx context.Context, p store.ClientGrantListParams) ([]keyhook.ClientGrant, int, error) {
	total, err := q.db.ClientGrantCount(ctx, dbsqlc.ClientGrantCountParams{ClientID: p.ClientID, Audience: p.Audience})
	if err != nil {
		return nil, 0, dbErr("list client grants", err)
	}
	limit, offset := limitOffset(p.PageParams)
	rows, err := q.db.ClientGrantList(ctx, dbsqlc.ClientGrantListParams{
		ClientID: p.ClientID, Audience: p.Audience, Limit: limit, Offset: offset,
	})
	grants, err := rowsOf("list client grants", rows, err, clientGrantFromRow)
	if err != nil {
		return nil, 0, err
	}
	return grants, int(total), nil
}

func (q *queries) ClientGrantUpdate(ctx context.Context, id string, fn func(g *keyhook.ClientGrant) error) (*keyhook.ClientGrant, error) {
	return update(ctx, q, "update client grant",
		func(q *queries) (*keyhook.ClientGrant, error) {
			row, err := q.db.ClientGrantGetForUpdate(ctx, id)
			return oneOf("update client grant", row, err, clientGrantFromRow)
		},
		func(g *keyhook.ClientGrant) rowFields { return rowFields{&g.ID, &g.CreatedAt, &g.UpdatedAt} },
		fn, func(q *queries, g *keyhook.ClientGrant) (*keyhook.ClientGrant, error) {
			var j jsonArgs
			p := dbsqlc.ClientGrantUpdateParams{
				ID: g.ID, ClientID: g.ClientID, Audience: g.Audience, Scope: j.encode(g.Scope, "[]"),
				AllowAnyOrganization: g.AllowAnyOrganization, OrganizationUsage: g.OrganizationUsage,
				SubjectType: g.SubjectType, IsSystem: g.IsSystem, UpdatedAt: normTime(g.UpdatedAt),
			}
			if j.err != nil {
				return nil, fmt.Errorf("postgres: update client grant: %w", j.err)
			}
			row, err := q.db.ClientGrantUpdate(ctx, p)
			return oneOf("update client grant", row, err, clientGrantFromRow)
		})
}

func (q *queries) ClientGrantDelete(ctx context.Context, id string) error {
	n, err := q.db.ClientGrantDelete(ctx, id)
	return mustAffect("delete client grant", n, err)
}
