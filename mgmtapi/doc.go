// Package mgmtapi serves the Auth0-compatible Management API v2 under
// /api/v2/: hooks (with secrets and keyhook's test runner), users, clients,
// resource servers, client grants and logs. It authenticates Bearer JWTs,
// checks scopes per route, paginates the way Auth0 does, and maps domain and
// storage errors to Auth0's error shape in one place (errors.go).
//
// It imports the domain package, store, password, tenantlog, trigger, jsrt,
// ratelimit, github.com/Masterminds/semver/v3 and the standard library.
package mgmtapi
