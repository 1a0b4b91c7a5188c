package oauth

import (
	"net/http"
	"slices"

	"github.com/keyhook/keyhook"
)

// checkGrantType refuses a grant the client's grant_types do not list. An
// empty list allows nothing, as on Auth0 (grant_types: [] is how a client is
// switched off); a client created without grant_types got its app type's
// defaults at creation (keyhook.DefaultGrantTypes).
func checkGrantType(c *keyhook.Client, grantType string) *tokenError {
	if slices.Contains(c.GrantTypes, grantType) {
		return nil
	}
	return &tokenError{Status: http.StatusForbidden, Code: "unauthorized_client",
		Description: "Grant type '" + grantType + "' not allowed for the client.",
		URI:         "https://auth0.com/docs/clients/client-grant-types"}
}
