// Package oauth is the token endpoint of the Authentication API: POST
// /oauth/token with Auth0's grants, request shapes (form or JSON bodies,
// client_secret_post or client_secret_basic), claims, error bodies and
// tenant log entries.
//
// One file per grant (client_credentials.go, password.go); the steps every
// grant shares — parsing, client authentication, the grant-type check
// (granttypes.go), the tenant log entry and the response — live on the
// Handler in token.go so no grant can skip one. userscope.go decides which
// scopes a token issued to a user may carry: never more than Auth0's
// current-user scopes for the Management API.
//
// It imports the domain package, store, configcache, signer, trigger,
// tenantlog, password, inputcheck, reqlog, ratelimit and the standard library.
package oauth
