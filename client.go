package keyhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Client is an application. The secret is stored as a hash only; the
// plaintext is shown once, when it is generated.
type Client struct {
	ClientID                string
	SecretHash              string
	Name                    string
	Description             string
	AppType                 string
	IsFirstParty            bool
	OIDCConformant          bool
	GrantTypes              []string
	Callbacks               []string
	AllowedOrigins          []string
	WebOrigins              []string
	AllowedLogoutURLs       []string
	TokenEndpointAuthMethod string
	ClientMetadata          map[string]string
	// Extra holds Auth0 client properties keyhook accepts and returns but does
	// not interpret (jwt_configuration, refresh_token, logo_uri, …), keyed by
	// their JSON names.
	Extra     map[string]json.RawMessage
	Global    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ResourceServer is an API: the audience tokens are issued for.
type ResourceServer struct {
	ID                  string
	Identifier          string
	Name                string
	Scopes              []ResourceServerScope
	SigningAlg          string
	TokenLifetime       int // seconds
	TokenLifetimeForWeb int
	AllowOfflineAccess  bool
	SkipConsent         bool
	TokenDialect        string
	EnforcePolicies     bool
	IsSystem            bool
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// ResourceServerScope is one permission an API defines.
type ResourceServerScope struct {
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}

// ClientGrant lets a client obtain tokens for an audience with some scopes
// through the client credentials grant.
type ClientGrant struct {
	ID                   string
	ClientID             string
	Audience             string
	Scope                []string
	AllowAnyOrganization bool
	OrganizationUsage    string
	SubjectType          string
	IsSystem             bool
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// HashClientSecret is how client secrets are stored and compared: SHA-256,
// hex. Client secrets are 64 random characters (or operator-chosen), so a
// fast hash is sound where a password hash would make every token request
// cost tens of milliseconds.
func HashClientSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// DefaultGrantTypes are the grant types Auth0 gives a new client of appType
// when its creation names none (as the Management API answers them: public
// SPAs and native apps get no client_credentials, "resource_server" clients
// get none, express_configuration gets its two). The password grants are
// never on by default: a client must ask for them.
func DefaultGrantTypes(appType string) []string {
	switch appType {
	case "spa", "native":
		return []string{"authorization_code", "implicit", "refresh_token"}
	case "resource_server":
		return []string{}
	case "express_configuration":
		return []string{"authorization_code", "client_credentials"}
	}
	return []string{"authorization_code", "implicit", "refresh_token", "client_credentials"}
}

// DefaultTokenEndpointAuthMethod is Auth0's token_endpoint_auth_method for
// a new client of appType that names none: SPAs and native apps are public
// clients.
func DefaultTokenEndpointAuthMethod(appType string) string {
	if appType == "spa" || appType == "native" {
		return "none"
	}
	return "client_secret_post"
}
