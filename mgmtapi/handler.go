package mgmtapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/keyhook/keyhook"

	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/ratelimit"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/tenantlog"
	"github.com/keyhook/keyhook/trigger"
)

// Handler serves the Management API. Its fields are its dependencies.
type Handler struct {
	Store    store.Store
	Verifier TokenVerifier
	// Issuer is the iss every token must carry, exactly:
	// https://<domain>/ with Auth0's trailing slash. Empty accepts no token.
	Issuer string
	// Audience is the API's identifier tokens must carry:
	// https://<domain>/api/v2/. Links (logs' rel="next") are built on it.
	Audience string
	// Tenant is the tenant name clients report in their "tenant" property.
	Tenant   string
	Triggers *trigger.Engine
	JS       *jsrt.Engine
	// Limiter rate-limits per client (per remote IP before authentication);
	// nil means unlimited.
	Limiter *ratelimit.Limiter
	// Logs stores log entries written outside a transaction with group
	// commit; nil writes each in a transaction of its own.
	Logs   *tenantlog.Writer
	Logger *slog.Logger
	Now    func() time.Time
	// ConfigChanged, when set, is called before the answer to every request
	// that may have changed the configuration (any method but GET and
	// HEAD), after its change is committed: caches of the configuration
	// (configcache.Cache.Invalidate) drop what they trusted.
	ConfigChanged func()

	// HookBuilder bundles hooks with their npm dependencies when they are
	// saved; nil runs every script as written and leaves declared
	// dependencies unfetched.
	HookBuilder HookBuilder

	// CheckActionCode checks an action's code when a draft is saved; nil
	// checks it with JS.CheckScript. A syntax error it returns as a
	// *jsrt.SyntaxError answers 400 with its line and column.
	CheckActionCode func(code string) error

	// ActionTestBuildWait bounds how long the action test runner waits
	// for a pending or building draft; 0 means 30 s.
	ActionTestBuildWait time.Duration

	// MaxLoginFailures is the brute-force threshold the token endpoint
	// blocks at (user-blocks lists pairs at or above it); 0 or less means
	// keyhook.DefaultMaxLoginFailures.
	MaxLoginFailures int
}

// writeLog stores e outside any transaction and returns once it is
// durable; a client that disconnects meanwhile does not cancel it.
func (h *Handler) writeLog(ctx context.Context, e *keyhook.LogEntry) error {
	return tenantlog.WriteOutsideTx(ctx, h.Logs, h.Store, e)
}

// route is one endpoint: its pattern (Go 1.22 method and path), the scopes
// of which a client token needs any one, and its handler. Which routes a
// user token reaches is authz.go's currentUserScopes.
type route struct {
	pattern string
	scopes  []string
	handle  func(w http.ResponseWriter, r *http.Request) error
}

func (h *Handler) routes() []route {
	return []route{
		{"GET /api/v2/hooks", []string{"read:hooks"}, h.listHooks},
		{"POST /api/v2/hooks", []string{"create:hooks"}, h.createHook},
		{"GET /api/v2/hooks/{id}", []string{"read:hooks"}, h.getHook},
		{"PATCH /api/v2/hooks/{id}", []string{"update:hooks"}, h.updateHook},
		{"DELETE /api/v2/hooks/{id}", []string{"delete:hooks"}, h.deleteHook},
		{"GET /api/v2/hooks/{id}/secrets", []string{"read:hooks"}, h.getHookSecrets},
		{"POST /api/v2/hooks/{id}/secrets", []string{"update:hooks"}, h.addHookSecrets},
		{"PATCH /api/v2/hooks/{id}/secrets", []string{"update:hooks"}, h.updateHookSecrets},
		{"DELETE /api/v2/hooks/{id}/secrets", []string{"delete:hooks"}, h.deleteHookSecrets},
		{"POST /api/v2/hooks/{id}/test", []string{"create:hooks"}, h.testHook},

		{"GET /api/v2/actions/actions", []string{"read:actions"}, h.listActions},
		{"POST /api/v2/actions/actions", []string{"create:actions"}, h.createAction},
		{"GET /api/v2/actions/actions/{id}", []string{"read:actions"}, h.getAction},
		{"PATCH /api/v2/actions/actions/{id}", []string{"update:actions"}, h.updateAction},
		{"DELETE /api/v2/actions/actions/{id}", []string{"delete:actions"}, h.deleteAction},
		{"POST /api/v2/actions/actions/{id}/deploy", []string{"create:actions"}, h.deployAction},
		{"POST /api/v2/actions/actions/{id}/test", []string{"create:actions"}, h.testAction},
		{"GET /api/v2/actions/actions/{id}/versions", []string{"read:actions"}, h.listActionVersions},
		{"GET /api/v2/actions/actions/{id}/versions/{versionId}", []string{"read:actions"}, h.getActionVersion},
		{"POST /api/v2/actions/actions/{id}/versions/{versionId}/deploy", []string{"create:actions"}, h.deployActionVersion},
		{"GET /api/v2/actions/triggers", []string{"read:actions"}, h.listActionTriggers},
		{"GET /api/v2/actions/triggers/{triggerId}/bindings", []string{"read:actions"}, h.listBindings},
		{"PATCH /api/v2/actions/triggers/{triggerId}/bindings", []string{"update:actions"}, h.updateBindings},
		{"GET /api/v2/actions/executions/{id}", []string{"read:actions"}, h.getExecution},

		{"GET /api/v2/users", []string{"read:users"}, h.listUsers},
		{"POST /api/v2/users", []string{"create:users"}, h.createUser},
		{"GET /api/v2/users/{id}", []string{"read:users"}, h.getUser},
		{"PATCH /api/v2/users/{id}", []string{"update:users", "update:users_app_metadata"}, h.updateUser},
		{"DELETE /api/v2/users/{id}", []string{"delete:users"}, h.deleteUser},
		{"GET /api/v2/users-by-email", []string{"read:users"}, h.usersByEmail},
		{"GET /api/v2/users/{id}/logs", []string{"read:logs", "read:logs_users"}, h.listUserLogs},

		{"GET /api/v2/user-blocks", []string{"read:users"}, h.getUserBlocksByIdentifier},
		{"DELETE /api/v2/user-blocks", []string{"update:users"}, h.deleteUserBlocksByIdentifier},
		{"GET /api/v2/user-blocks/{id}", []string{"read:users"}, h.getUserBlocks},
		{"DELETE /api/v2/user-blocks/{id}", []string{"update:users"}, h.deleteUserBlocks},

		{"GET /api/v2/clients", []string{"read:clients", "read:client_keys"}, h.listClients},
		{"POST /api/v2/clients", []string{"create:clients"}, h.createClient},
		{"GET /api/v2/clients/{id}", []string{"read:clients", "read:client_keys"}, h.getClient},
		{"PATCH /api/v2/clients/{id}", []string{"update:clients", "update:client_keys"}, h.updateClient},
		{"DELETE /api/v2/clients/{id}", []string{"delete:clients"}, h.deleteClient},
		{"POST /api/v2/clients/{id}/rotate-secret", []string{"update:client_keys"}, h.rotateClientSecret},

		{"GET /api/v2/resource-servers", []string{"read:resource_servers"}, h.listResourceServers},
		{"POST /api/v2/resource-servers", []string{"create:resource_servers"}, h.createResourceServer},
		{"GET /api/v2/resource-servers/{id}", []string{"read:resource_servers"}, h.getResourceServer},
		{"PATCH /api/v2/resource-servers/{id}", []string{"update:resource_servers"}, h.updateResourceServer},
		{"DELETE /api/v2/resource-servers/{id}", []string{"delete:resource_servers"}, h.deleteResourceServer},

		{"GET /api/v2/client-grants", []string{"read:client_grants"}, h.listClientGrants},
		{"POST /api/v2/client-grants", []string{"create:client_grants"}, h.createClientGrant},
		{"GET /api/v2/client-grants/{id}", []string{"read:client_grants"}, h.getClientGrant},
		{"PATCH /api/v2/client-grants/{id}", []string{"update:client_grants"}, h.updateClientGrant},
		{"DELETE /api/v2/client-grants/{id}", []string{"delete:client_grants"}, h.deleteClientGrant},

		{"GET /api/v2/logs", []string{"read:logs", "read:logs_users"}, h.listLogs},
		{"GET /api/v2/logs/{id}", []string{"read:logs", "read:logs_users"}, h.getLog},
	}
}

// Mount registers every route on mux, each behind authentication, the rate
// limiter and its authorization (authz.go). Unknown paths under /api/v2/
// get a 404 in the error shape (after authentication, as Auth0 answers).
func (h *Handler) Mount(mux *http.ServeMux) {
	for _, rt := range h.routes() {
		mux.Handle(rt.pattern, h.guard(rt.pattern, rt.scopes, rt.handle))
	}
	mux.Handle("/api/v2/", h.guard("", nil, func(w http.ResponseWriter, r *http.Request) error {
		return errRouteNotFound
	}))
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}
