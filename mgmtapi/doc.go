// Package mgmtapi serves the Auth0-compatible Management API v2 under
// /api/v2/: hooks (with secrets and keyhook's test runner), Actions (drafts,
// deploys and versions, triggers and their bindings, executions, the test
// runner of drafts), users,
// user blocks, clients, resource servers, client grants and logs. Saving an
// action's draft queues its build (actionbuild) in the same transaction;
// saving a hook builds it before answering, through the HookBuilder this
// package declares (hook_build.go), since Auth0's hooks have no build
// status. It
// authenticates Bearer JWTs (signature, RS256, exp, nbf, iss, aud and the
// kind of subject: auth.go), authorizes every route (authz.go: a client
// token by its scopes, a user token only on its own record with Auth0's
// current-user scopes), paginates the way Auth0 does, and maps domain and
// storage errors to Auth0's error shape in one place (errors.go).
//
// Bodies are checked where they are read (body.go, limits.go): each route's
// size cap, the limit of every value from keyhook's table, no NUL and valid
// UTF-8; paths and queries are checked by the server, which asks
// WriteInputError for the answer.
//
// It imports the domain package, store, actionbuild, password, tenantlog,
// trigger, jsrt, ratelimit, inputcheck, reqlog,
// github.com/Masterminds/semver/v3 and the standard library.
package mgmtapi
