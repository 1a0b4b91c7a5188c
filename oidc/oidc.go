// Package oidc serves OpenID Connect discovery: the provider configuration
// document and the JSON Web Key Set, in the shape Auth0 publishes them.
//
// It imports signer and the standard library.
package oidc

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/keyhook/keyhook/signer"
)

// Handler serves /.well-known/*. Issuer is https://host/ with its trailing
// slash; every endpoint URL is built from it.
type Handler struct {
	Issuer string
	Signer *signer.Signer
}

// Mount registers the discovery routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/openid-configuration", h.configuration)
	mux.HandleFunc("GET /.well-known/jwks.json", h.jwks)
}

// Configuration is the discovery document. It lists only what keyhook
// serves: the token endpoint and the key set. authorization_endpoint,
// userinfo_endpoint, revocation_endpoint, end_session_endpoint and the
// authorization request's capabilities (response types and modes, PKCE
// methods) join it as those endpoints land; a client told of an endpoint
// that answers 404 fails later and more confusingly than one told nothing.
type Configuration struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ScopesSupported                   []string `json:"scopes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	RequestParameterSupported         bool     `json:"request_parameter_supported"`
}

// NewConfiguration builds the discovery document for issuer (a trailing
// slash is added when missing, as Auth0's issuer always has one).
func NewConfiguration(issuer string) Configuration {
	if !strings.HasSuffix(issuer, "/") {
		issuer += "/"
	}
	return Configuration{
		Issuer:        issuer,
		TokenEndpoint: issuer + "oauth/token",
		JWKSURI:       issuer + ".well-known/jwks.json",
		// offline_access arrives with refresh tokens.
		ScopesSupported: []string{"openid", "profile", "name", "given_name", "family_name",
			"nickname", "email", "email_verified", "picture", "created_at", "identities", "phone", "address"},
		SubjectTypesSupported: []string{"public"},
		// The signer signs RS256 only.
		IDTokenSigningAlgValuesSupported: []string{"RS256"},
		// "none" is a public client sending only its client_id.
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},
		ClaimsSupported: []string{"aud", "auth_time", "created_at", "email", "email_verified", "exp",
			"family_name", "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number",
			"picture", "sub"},
		RequestURIParameterSupported: false,
		RequestParameterSupported:    false,
	}
}

func (h *Handler) configuration(w http.ResponseWriter, r *http.Request) {
	body, err := json.Marshal(NewConfiguration(h.Issuer))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	write(w, body)
}

func (h *Handler) jwks(w http.ResponseWriter, r *http.Request) {
	write(w, h.Signer.JWKS())
}

func write(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// Short enough that a new key is seen within minutes, long enough that
	// SDKs fetching at construction do not hammer the server.
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
}
