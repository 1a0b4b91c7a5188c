package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/configcache"
	"github.com/keyhook/keyhook/reqlog"
	"github.com/keyhook/keyhook/signer"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/tenantlog"
	"github.com/keyhook/keyhook/trigger"
)

// Grant types keyhook's token endpoint serves.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantPasswordRealm     = "http://auth0.com/oauth/grant-type/password-realm"
)

// Handler is the token endpoint. Its fields are its dependencies.
type Handler struct {
	Store    store.Store
	Signer   *signer.Signer
	Triggers *trigger.Engine // nil runs no extensibility code
	// AdminClientID and AdminAudience name the bootstrap admin client and the
	// Management API. Its Management tokens skip the credentials-exchange
	// chain, so a broken hook cannot lock the operator out of the API that
	// would fix it.
	AdminClientID string
	AdminAudience string
	// Issuer is https://host/ with the trailing slash Auth0's iss carries.
	Issuer string
	Logger *slog.Logger
	Now    func() time.Time
	// Config serves clients, resource servers and client grants from memory
	// while the store's configuration version is unchanged; nil reads the
	// store through a cache of the handler's own.
	Config *configcache.Cache
	// Protection is Auth0's attack protection: brute-force blocks and per-IP
	// throttles (bruteforce.go).
	Protection AttackProtection
	// Logs stores each request's tenant log entry with group commit; nil
	// writes each entry in a transaction of its own.
	Logs *tenantlog.Writer

	ownConfig     configcache.Cache
	ownConfigOnce sync.Once
}

func (h *Handler) config() *configcache.Cache {
	if h.Config != nil {
		return h.Config
	}
	h.ownConfigOnce.Do(func() { h.ownConfig.Store = h.Store })
	return &h.ownConfig
}

// Mount registers POST /oauth/token on mux, and an OAuth error for its
// other methods (a token endpoint's answers are never cached).
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("POST /oauth/token", h.token)
	mux.HandleFunc("/oauth/token", h.methodNotAllowed)
}

// grant is one grant type: how its client must authenticate, the tenant log
// types of its outcomes, and the step that issues its tokens.
type grant struct {
	// secretRequired refuses clients that send no secret; otherwise public
	// clients may send only client_id (a secret sent is still verified).
	secretRequired bool
	successLog     string
	failureLog     string
	issue          func(h *Handler, ctx context.Context, ex *exchange) (*tokenResponse, *tokenError)
}

var grants = map[string]grant{
	GrantClientCredentials: {
		secretRequired: true,
		successLog:     keyhook.LogSuccessCredentialsExchange,
		failureLog:     keyhook.LogFailedCredentialsExchange,
		issue:          (*Handler).clientCredentials,
	},
	GrantPassword: {
		successLog: keyhook.LogSuccessPasswordExchange,
		failureLog: keyhook.LogFailedPasswordExchange,
		issue:      (*Handler).password,
	},
	GrantPasswordRealm: {
		successLog: keyhook.LogSuccessPasswordExchange,
		failureLog: keyhook.LogFailedPasswordExchange,
		issue:      (*Handler).password,
	},
}

// exchange is one token request on its way through the shared steps. The
// grant fills log with what it learns (audience, scope, user, hook runs).
type exchange struct {
	view   *configcache.View
	req    *tokenRequest
	client *keyhook.Client
	now    time.Time
	log    keyhook.LogEntry
	execs  []keyhook.HookExecution
	// actions are the actions the grant's triggers ran (nil: none).
	actions *trigger.Actions
	// login is the login entry of a password grant, written besides the
	// exchange's; nil for other grants and refusals before the user is
	// known.
	login    *loginLog
	ip       string
	language string
	// logged is the success entry handed to the log writer before the
	// token was signed (beginSuccessLog); nil until then.
	logged *tenantlog.Pending
}

// tokenResponse is RFC 6749 §5.1's answer in Auth0's field set.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token,omitempty"`
	Scope       string `json:"scope,omitempty"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errBodyTooLarge(tooLarge.Limit))
			return
		}
		writeJSON(w, http.StatusBadRequest, invalidRequest("Could not read the request body"))
		return
	}
	req, terr := parseTokenRequest(r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body)
	if terr != nil {
		h.writeError(w, r, terr)
		return
	}
	reqlog.SetClientID(r.Context(), req.ClientID)
	g, ok := grants[req.GrantType]
	if !ok {
		h.writeError(w, r, &tokenError{Status: http.StatusBadRequest, Code: "unsupported_grant_type",
			Description: "Unsupported grant type: " + req.GrantType})
		return
	}
	ex := &exchange{req: req, now: h.now(), ip: remoteIP(r), language: r.Header.Get("Accept-Language")}
	ex.log = keyhook.LogEntry{
		Date:      ex.now.UTC(),
		ClientID:  req.ClientID,
		IP:        ex.ip,
		Hostname:  issuerHost(h.Issuer),
		UserAgent: r.UserAgent(),
		Audience:  req.Audience,
	}
	resp, terr := h.exchange(r.Context(), g, ex)

	// The token is issued whether or not its log entry could be stored: an
	// SDK retrying a 500 would only get another token.
	if ex.logged != nil {
		if err := ex.logged.Wait(); err != nil {
			h.logger().ErrorContext(r.Context(), "oauth: write tenant log", "type", ex.log.Type, "err", err)
		}
		if terr != nil {
			// Signing failed after the success entry was handed over: the
			// failure gets an entry of its own.
			failed := ex.log
			failed.LogID, failed.Type, failed.Description = "", failureLogType(g, terr), terr.Description
			if err := h.writeLog(r.Context(), &failed); err != nil {
				h.logger().ErrorContext(r.Context(), "oauth: write tenant log", "type", failed.Type, "err", err)
			}
		}
	} else {
		if terr != nil {
			ex.log.Type, ex.log.Description = failureLogType(g, terr), terr.Description
		} else {
			ex.log.Type = g.successLog
		}
		tenantlog.WithExecutions(&ex.log, ex.execs)
		ex.actions.AddTo(&ex.log)
		if err := h.writeLog(r.Context(), &ex.log); err != nil {
			h.logger().ErrorContext(r.Context(), "oauth: write tenant log", "type", ex.log.Type, "err", err)
		}
	}
	if ex.login != nil && (terr == nil || ex.login.typ != keyhook.LogSuccessLogin) {
		h.writeLoginLog(r.Context(), ex)
	}
	if terr != nil {
		h.writeError(w, r, terr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// writeLoginLog writes a password grant's login entry: the exchange entry's
// request, client, connection and user, with the login's own type.
func (h *Handler) writeLoginLog(ctx context.Context, ex *exchange) {
	e := keyhook.LogEntry{
		Date: ex.log.Date, Type: ex.login.typ, Description: ex.login.description,
		ClientID: ex.log.ClientID, ClientName: ex.log.ClientName, IP: ex.log.IP, Hostname: ex.log.Hostname,
		UserAgent: ex.log.UserAgent, Connection: ex.log.Connection, ConnectionID: ex.log.ConnectionID,
		Strategy: ex.log.Strategy, StrategyType: ex.log.StrategyType, UserID: ex.log.UserID, UserName: ex.log.UserName,
		Audience: ex.log.Audience, Scope: ex.log.Scope,
	}
	ex.actions.AddTo(&e)
	if err := h.writeLog(ctx, &e); err != nil {
		h.logger().ErrorContext(ctx, "oauth: write tenant log", "type", e.Type, "err", err)
	}
}

// failureLogType is the log type of a refused exchange: the grant's, unless
// the refusal names its own (limit_wc, limit_mu).
func failureLogType(g grant, terr *tokenError) string {
	if terr.logType != "" {
		return terr.logType
	}
	return g.failureLog
}

// beginSuccessLog completes ex's entry as a success of typ and hands it to
// the log writer before the token is signed, so its commit overlaps the
// signature; the answer still waits for it. Without a writer the entry is
// written after the exchange as every other entry is.
func (h *Handler) beginSuccessLog(ctx context.Context, ex *exchange, typ string) {
	if h.Logs == nil {
		return
	}
	ex.log.Type = typ
	tenantlog.WithExecutions(&ex.log, ex.execs)
	ex.actions.AddTo(&ex.log)
	ex.logged = h.Logs.Begin(ctx, &ex.log)
}

// writeLog stores e and returns once it is durable; a client that
// disconnects meanwhile does not cancel it.
func (h *Handler) writeLog(ctx context.Context, e *keyhook.LogEntry) error {
	return tenantlog.WriteOutsideTx(ctx, h.Logs, h.Store, e)
}

// exchange runs the steps every grant shares, then the grant itself.
func (h *Handler) exchange(ctx context.Context, g grant, ex *exchange) (*tokenResponse, *tokenError) {
	if ex.req.Assertion != "" {
		return nil, invalidRequest("client_assertion (private_key_jwt) is not supported")
	}
	view, err := h.config().View(ctx)
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: read configuration version", "err", err)
		return nil, serverError()
	}
	ex.view = view
	client, terr := h.authenticateClientThrottled(ctx, ex, g.secretRequired)
	if terr != nil {
		return nil, terr
	}
	ex.client = client
	ex.log.ClientName = client.Name
	if terr := checkGrantType(client, ex.req.GrantType); terr != nil {
		return nil, terr
	}
	return g.issue(h, ctx, ex)
}

// HashClientSecret is how a client secret is stored: lowercase hex SHA-256.
// Secrets are 64 random characters, so a fast hash loses nothing to
// guessing and keeps client authentication off the hot path's profile.
func HashClientSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// authenticateClient finds the client and checks its secret. Every failure
// looks the same to the caller, so client ids cannot be probed.
func (h *Handler) authenticateClient(ctx context.Context, ex *exchange, secretRequired bool) (*keyhook.Client, *tokenError) {
	req := ex.req
	if req.ClientID == "" {
		return nil, missingParam("client_id")
	}
	client, err := ex.view.Client(ctx, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthorized()
	}
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: load client", "client_id", req.ClientID, "err", err)
		return nil, serverError()
	}
	if req.AuthMethod == authNone {
		if secretRequired || !isPublic(client) {
			return nil, errUnauthorized()
		}
		return client, nil
	}
	want, err := hex.DecodeString(client.SecretHash)
	got := sha256.Sum256([]byte(req.ClientSecret))
	if err != nil || len(want) != len(got) || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return nil, errUnauthorized()
	}
	return client, nil
}

// isPublic reports whether a client may authenticate with client_id alone:
// token_endpoint_auth_method "none", which Auth0 defaults for SPAs and
// native apps.
func isPublic(c *keyhook.Client) bool {
	switch c.TokenEndpointAuthMethod {
	case "none":
		return true
	case "":
		return c.AppType == "spa" || c.AppType == "native"
	}
	return false
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, terr *tokenError) {
	if terr.Status == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+issuerHost(h.Issuer)+`"`)
	}
	if terr.retryAfter != "" {
		w.Header().Set("Retry-After", terr.retryAfter)
	}
	writeJSON(w, terr.Status, terr)
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func issuerHost(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return u.Host
}

// signAccessToken signs claims, refusing none of them: callers build claims
// from registered names first and add custom ones with addCustomClaims.
func (h *Handler) sign(ctx context.Context, claims map[string]any) (string, *tokenError) {
	tok, err := h.Signer.Sign(claims)
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: sign token", "err", err)
		return "", serverError()
	}
	return tok, nil
}

// addCustomClaims copies extensibility claims into claims without ever
// replacing one already set (iss, sub, aud, scope, …).
func addCustomClaims(claims, custom map[string]any) {
	for k, v := range custom {
		if _, taken := claims[k]; !taken {
			claims[k] = v
		}
	}
}

// resourceServer loads the API an audience names; an unknown audience is
// Auth0's 403 "Service not found".
func (h *Handler) resourceServer(ctx context.Context, ex *exchange, audience string) (*keyhook.ResourceServer, *tokenError) {
	rs, err := ex.view.ResourceServer(ctx, audience)
	if errors.Is(err, store.ErrNotFound) {
		return nil, accessDenied("Service not found: " + audience)
	}
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: load resource server", "audience", audience, "err", err)
		return nil, serverError()
	}
	return rs, nil
}

// DefaultTokenLifetime is Auth0's access token lifetime when the API sets
// none (seconds).
const DefaultTokenLifetime = 86400

func tokenLifetime(rs *keyhook.ResourceServer) int {
	if rs != nil && rs.TokenLifetime > 0 {
		return rs.TokenLifetime
	}
	return DefaultTokenLifetime
}

// request is what actions see of the token request (event.request).
func (ex *exchange) request() trigger.Request {
	return trigger.Request{IP: ex.ip, Method: "POST", Hostname: ex.log.Hostname, UserAgent: ex.log.UserAgent, Language: ex.language}
}
