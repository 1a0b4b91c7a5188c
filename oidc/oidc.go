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

// Configuration is the discovery document.
type Configuration struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	MFAChallengeEndpoint              string   `json:"mfa_challenge_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	RegistrationEndpoint              string   `json:"registration_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	RequestParameterSupported         bool     `json:"request_parameter_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
}

// NewConfiguration builds the discovery document for issuer (a trailing
// slash is added when missing, as Auth0's issuer always has one).
func NewConfiguration(issuer string) Configuration {
	if !strings.HasSuffix(issuer, "/") {
		issuer += "/"
	}
	return Configuration{
		Issuer:                      issuer,
		AuthorizationEndpoint:       issuer + "authorize",
		TokenEndpoint:               issuer + "oauth/token",
		DeviceAuthorizationEndpoint: issuer + "oauth/device/code",
		UserinfoEndpoint:            issuer + "userinfo",
		MFAChallengeEndpoint:        issuer + "mfa/challenge",
		JWKSURI:                     issuer + ".well-known/jwks.json",
		RegistrationEndpoint:        issuer + "oidc/register",
		RevocationEndpoint:          issuer + "oauth/revoke",
		ScopesSupported: []string{"openid", "profile", "offline_access", "name", "given_name", "family_name",
			"nickname", "email", "email_verified", "picture", "created_at", "identities", "phone", "address"},
		ResponseTypesSupported: []string{"code", "token", "id_token", "code token", "code id_token",
			"token id_token", "code token id_token"},
		CodeChallengeMethodsSupported:     []string{"S256", "plain"},
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{"HS256", "RS256", "PS256"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"},
		TokenEndpointAuthSigningAlgs:      []string{"RS256", "RS384", "PS256"},
		ClaimsSupported: []string{"aud", "auth_time", "created_at", "email", "email_verified", "exp",
			"family_name", "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number",
			"picture", "sub"},
		RequestURIParameterSupported: false,
		RequestParameterSupported:    false,
		EndSessionEndpoint:           issuer + "oidc/logout",
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
