package storetest

import (
	"encoding/json"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var clientTests = []subtest{
	{"Client/RoundTrip", testClientRoundTrip},
	{"Client/EmptyCollections", testClientEmptyCollections},
	{"Client/UpdateDelete", testClientUpdateDelete},
	{"Client/List", testClientList},
}

func fullClient() *keyhook.Client {
	return &keyhook.Client{
		ClientID:                keyhook.NewClientID(),
		SecretHash:              "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Name:                    "My App",
		Description:             "an app",
		AppType:                 "non_interactive",
		IsFirstParty:            true,
		OIDCConformant:          true,
		GrantTypes:              []string{"client_credentials", "password"},
		Callbacks:               []string{"https://app.example.com/cb"},
		AllowedOrigins:          []string{"https://app.example.com"},
		WebOrigins:              []string{"https://web.example.com"},
		AllowedLogoutURLs:       []string{"https://app.example.com/bye"},
		TokenEndpointAuthMethod: "client_secret_post",
		ClientMetadata:          map[string]string{"team": "core"},
		// Compact JSON: backends may re-encode but must return it compact.
		Extra: map[string]json.RawMessage{
			"jwt_configuration": json.RawMessage(`{"alg":"RS256","lifetime_in_seconds":36000}`),
			"logo_uri":          json.RawMessage(`"https://example.com/logo.png"`),
		},
		Global:    false,
		CreatedAt: at(0),
		UpdatedAt: at(1),
	}
}

func testClientRoundTrip(t *testing.T, s store.Store) {
	c := fullClient()
	must(t, s.ClientCreate(ctx(t), c))
	got, err := s.ClientGet(ctx(t), c.ClientID)
	must(t, err)
	mustEqual(t, got, c)
	mustUTC(t, "CreatedAt", got.CreatedAt)

	_, err = s.ClientGet(ctx(t), "missing")
	mustIs(t, err, store.ErrNotFound)
	mustIs(t, s.ClientCreate(ctx(t), fullClientWithID(c.ClientID)), store.ErrConflict)
}

func fullClientWithID(id string) *keyhook.Client {
	c := fullClient()
	c.ClientID = id
	return c
}

func testClientEmptyCollections(t *testing.T, s store.Store) {
	c := &keyhook.Client{ClientID: "bare", Name: "bare"}
	must(t, s.ClientCreate(ctx(t), c))
	got, err := s.ClientGet(ctx(t), c.ClientID)
	must(t, err)
	// Absent lists and maps come back empty, never nil, so the API renders
	// [] and {} rather than null.
	for what, list := range map[string][]string{
		"GrantTypes": got.GrantTypes, "Callbacks": got.Callbacks, "AllowedOrigins": got.AllowedOrigins,
		"WebOrigins": got.WebOrigins, "AllowedLogoutURLs": got.AllowedLogoutURLs,
	} {
		if list == nil || len(list) != 0 {
			t.Errorf("%s = %#v, want empty non-nil", what, list)
		}
	}
	mustEqual(t, got.ClientMetadata, map[string]string{})
	mustEqual(t, got.Extra, map[string]json.RawMessage{})
}

func testClientUpdateDelete(t *testing.T, s store.Store) {
	c := fullClient()
	must(t, s.ClientCreate(ctx(t), c))
	upd := *c
	upd.Name = "Renamed"
	upd.GrantTypes = []string{"authorization_code"}
	upd.Callbacks = nil
	upd.ClientMetadata = map[string]string{"a": "b", "c": "d"}
	upd.Extra = map[string]json.RawMessage{"refresh_token": json.RawMessage(`{"rotation_type":"rotating"}`)}
	upd.SecretHash = "new-hash"
	upd.UpdatedAt = at(5)
	ret, err := s.ClientUpdate(ctx(t), c.ClientID, func(cur *keyhook.Client) error {
		mustEqual(t, cur, c) // fn sees the stored row
		*cur = upd
		return nil
	})
	must(t, err)
	got, err := s.ClientGet(ctx(t), c.ClientID)
	must(t, err)
	upd.Callbacks, upd.UpdatedAt = []string{}, stored(upd.UpdatedAt)
	mustEqual(t, got, &upd)
	mustEqual(t, ret, got)

	_, err = s.ClientUpdate(ctx(t), "missing", set(fullClient()))
	mustIs(t, err, store.ErrNotFound)
	must(t, s.ClientDelete(ctx(t), c.ClientID))
	_, err = s.ClientGet(ctx(t), c.ClientID)
	mustIs(t, err, store.ErrNotFound)
	mustIs(t, s.ClientDelete(ctx(t), c.ClientID), store.ErrNotFound)
}

func testClientList(t *testing.T, s store.Store) {
	const n = 12
	for i := range n {
		c := fullClient()
		c.ClientID = name("client", i)
		c.CreatedAt = at(n - i) // newest created first, so order is by time, not id
		must(t, s.ClientCreate(ctx(t), c))
	}
	got, total, err := s.ClientList(ctx(t), store.PageParams{Page: 1, PerPage: 5})
	must(t, err)
	mustEqual(t, total, n)
	ids := []string{}
	for _, c := range got {
		ids = append(ids, c.ClientID)
	}
	mustEqual(t, ids, []string{name("client", 6), name("client", 5), name("client", 4), name("client", 3), name("client", 2)})
}

var resourceServerTests = []subtest{
	{"ResourceServer/RoundTrip", testResourceServerRoundTrip},
	{"ResourceServer/UniqueIdentifier", testResourceServerUniqueIdentifier},
	{"ResourceServer/UpdateDelete", testResourceServerUpdateDelete},
	{"ResourceServer/List", testResourceServerList},
}

func fullResourceServer(identifier string) *keyhook.ResourceServer {
	return &keyhook.ResourceServer{
		ID:         keyhook.NewResourceServerID(),
		Identifier: identifier,
		Name:       "API " + identifier,
		Scopes: []keyhook.ResourceServerScope{
			{Value: "read:things", Description: "Read things"},
			{Value: "write:things"},
		},
		SigningAlg:          "RS256",
		TokenLifetime:       86400,
		TokenLifetimeForWeb: 7200,
		AllowOfflineAccess:  true,
		SkipConsent:         true,
		TokenDialect:        "access_token_authz",
		EnforcePolicies:     true,
		IsSystem:            false,
		CreatedAt:           at(0),
		UpdatedAt:           at(0),
	}
}

func testResourceServerRoundTrip(t *testing.T, s store.Store) {
	rs := fullResourceServer("https://api.example.com/")
	must(t, s.ResourceServerCreate(ctx(t), rs))
	got, err := s.ResourceServerGet(ctx(t), rs.ID)
	must(t, err)
	mustEqual(t, got, rs)
	got, err = s.ResourceServerGetByIdentifier(ctx(t), rs.Identifier)
	must(t, err)
	mustEqual(t, got, rs)

	_, err = s.ResourceServerGet(ctx(t), "missing")
	mustIs(t, err, store.ErrNotFound)
	_, err = s.ResourceServerGetByIdentifier(ctx(t), "https://other/")
	mustIs(t, err, store.ErrNotFound)

	bare := &keyhook.ResourceServer{ID: "bare", Identifier: "urn:bare"}
	must(t, s.ResourceServerCreate(ctx(t), bare))
	got, err = s.ResourceServerGet(ctx(t), "bare")
	must(t, err)
	mustEqual(t, got.Scopes, []keyhook.ResourceServerScope{})
}

func testResourceServerUniqueIdentifier(t *testing.T, s store.Store) {
	must(t, s.ResourceServerCreate(ctx(t), fullResourceServer("https://api/")))
	mustIs(t, s.ResourceServerCreate(ctx(t), fullResourceServer("https://api/")), store.ErrConflict)
	other := fullResourceServer("https://other/")
	must(t, s.ResourceServerCreate(ctx(t), other))
	other.Identifier = "https://api/"
	_, err := s.ResourceServerUpdate(ctx(t), other.ID, set(other))
	mustIs(t, err, store.ErrConflict)
}

func testResourceServerUpdateDelete(t *testing.T, s store.Store) {
	rs := fullResourceServer("https://api/")
	must(t, s.ResourceServerCreate(ctx(t), rs))
	rs.Name = "Renamed"
	rs.Scopes = []keyhook.ResourceServerScope{{Value: "only"}}
	rs.TokenLifetime = 60
	rs.SkipConsent = false
	rs.UpdatedAt = at(3)
	ret, err := s.ResourceServerUpdate(ctx(t), rs.ID, set(rs))
	must(t, err)
	got, err := s.ResourceServerGet(ctx(t), rs.ID)
	must(t, err)
	rs.UpdatedAt = stored(rs.UpdatedAt)
	mustEqual(t, got, rs)
	mustEqual(t, ret, got)

	_, err = s.ResourceServerUpdate(ctx(t), "nope", set(fullResourceServer("https://nope/")))
	mustIs(t, err, store.ErrNotFound)
	must(t, s.ResourceServerDelete(ctx(t), rs.ID))
	mustIs(t, s.ResourceServerDelete(ctx(t), rs.ID), store.ErrNotFound)
	_, err = s.ResourceServerGetByIdentifier(ctx(t), rs.Identifier)
	mustIs(t, err, store.ErrNotFound)
}

func testResourceServerList(t *testing.T, s store.Store) {
	for i := range 5 {
		rs := fullResourceServer(name("https://api", i))
		rs.CreatedAt = at(i)
		must(t, s.ResourceServerCreate(ctx(t), rs))
	}
	tests := []struct {
		name      string
		params    store.ResourceServerListParams
		want      []string
		wantTotal int
	}{
		{"all", store.ResourceServerListParams{}, []string{name("https://api", 0), name("https://api", 1), name("https://api", 2), name("https://api", 3), name("https://api", 4)}, 5},
		{"page", store.ResourceServerListParams{PageParams: store.PageParams{Page: 1, PerPage: 2}}, []string{name("https://api", 2), name("https://api", 3)}, 5},
		{"identifiers", store.ResourceServerListParams{Identifiers: []string{name("https://api", 3), name("https://api", 1), "https://missing"}}, []string{name("https://api", 1), name("https://api", 3)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.ResourceServerList(ctx(t), tt.params)
			must(t, err)
			ids := []string{}
			for _, rs := range got {
				ids = append(ids, rs.Identifier)
			}
			mustEqual(t, ids, tt.want)
			mustEqual(t, total, tt.wantTotal)
		})
	}
}

var clientGrantTests = []subtest{
	{"ClientGrant/RoundTrip", testClientGrantRoundTrip},
	{"ClientGrant/Unique", testClientGrantUnique},
	{"ClientGrant/UpdateDelete", testClientGrantUpdateDelete},
	{"ClientGrant/List", testClientGrantList},
}

func fullClientGrant(clientID, audience string) *keyhook.ClientGrant {
	return &keyhook.ClientGrant{
		ID:                   keyhook.NewClientGrantID(),
		ClientID:             clientID,
		Audience:             audience,
		Scope:                []string{"read:users", "update:users"},
		AllowAnyOrganization: true,
		OrganizationUsage:    "allow",
		SubjectType:          "client",
		IsSystem:             false,
		CreatedAt:            at(0),
		UpdatedAt:            at(0),
	}
}

func testClientGrantRoundTrip(t *testing.T, s store.Store) {
	g := fullClientGrant("c1", "https://api/")
	must(t, s.ClientGrantCreate(ctx(t), g))
	got, err := s.ClientGrantGet(ctx(t), g.ID)
	must(t, err)
	mustEqual(t, got, g)
	got, err = s.ClientGrantFind(ctx(t), "c1", "https://api/")
	must(t, err)
	mustEqual(t, got, g)
	_, err = s.ClientGrantFind(ctx(t), "c1", "https://other/")
	mustIs(t, err, store.ErrNotFound)
	_, err = s.ClientGrantGet(ctx(t), "cgr_missing")
	mustIs(t, err, store.ErrNotFound)

	empty := &keyhook.ClientGrant{ID: "cgr_empty", ClientID: "c2", Audience: "https://api/"}
	must(t, s.ClientGrantCreate(ctx(t), empty))
	got, err = s.ClientGrantGet(ctx(t), empty.ID)
	must(t, err)
	mustEqual(t, got.Scope, []string{})
}

func testClientGrantUnique(t *testing.T, s store.Store) {
	must(t, s.ClientGrantCreate(ctx(t), fullClientGrant("c1", "https://api/")))
	mustIs(t, s.ClientGrantCreate(ctx(t), fullClientGrant("c1", "https://api/")), store.ErrConflict)
	must(t, s.ClientGrantCreate(ctx(t), fullClientGrant("c2", "https://api/")))
	g := fullClientGrant("c1", "https://other/")
	must(t, s.ClientGrantCreate(ctx(t), g))
	g.Audience = "https://api/"
	_, err := s.ClientGrantUpdate(ctx(t), g.ID, set(g))
	mustIs(t, err, store.ErrConflict)
}

func testClientGrantUpdateDelete(t *testing.T, s store.Store) {
	g := fullClientGrant("c1", "https://api/")
	must(t, s.ClientGrantCreate(ctx(t), g))
	g.Scope = []string{"read:users"}
	g.AllowAnyOrganization = false
	g.UpdatedAt = at(4)
	ret, err := s.ClientGrantUpdate(ctx(t), g.ID, set(g))
	must(t, err)
	got, err := s.ClientGrantGet(ctx(t), g.ID)
	must(t, err)
	g.UpdatedAt = stored(g.UpdatedAt)
	mustEqual(t, got, g)
	mustEqual(t, ret, got)

	_, err = s.ClientGrantUpdate(ctx(t), "cgr_nope", set(fullClientGrant("c9", "x")))
	mustIs(t, err, store.ErrNotFound)
	must(t, s.ClientGrantDelete(ctx(t), g.ID))
	mustIs(t, s.ClientGrantDelete(ctx(t), g.ID), store.ErrNotFound)
	// The pair is free again.
	must(t, s.ClientGrantCreate(ctx(t), fullClientGrant("c1", "https://api/")))
}

func testClientGrantList(t *testing.T, s store.Store) {
	pairs := []struct{ client, audience string }{
		{"c1", "a1"}, {"c1", "a2"}, {"c2", "a1"}, {"c3", "a3"},
	}
	for i, p := range pairs {
		g := fullClientGrant(p.client, p.audience)
		g.ID = name("cgr", i)
		g.CreatedAt = at(i)
		must(t, s.ClientGrantCreate(ctx(t), g))
	}
	tests := []struct {
		name      string
		params    store.ClientGrantListParams
		want      []string
		wantTotal int
	}{
		{"all", store.ClientGrantListParams{}, []string{"cgr-000", "cgr-001", "cgr-002", "cgr-003"}, 4},
		{"client", store.ClientGrantListParams{ClientID: "c1"}, []string{"cgr-000", "cgr-001"}, 2},
		{"audience", store.ClientGrantListParams{Audience: "a1"}, []string{"cgr-000", "cgr-002"}, 2},
		{"both", store.ClientGrantListParams{ClientID: "c1", Audience: "a2"}, []string{"cgr-001"}, 1},
		{"page", store.ClientGrantListParams{PageParams: store.PageParams{Page: 1, PerPage: 3}}, []string{"cgr-003"}, 4},
		{"none", store.ClientGrantListParams{ClientID: "c9"}, []string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.ClientGrantList(ctx(t), tt.params)
			must(t, err)
			ids := []string{}
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			mustEqual(t, ids, tt.want)
			mustEqual(t, total, tt.wantTotal)
		})
	}
}
