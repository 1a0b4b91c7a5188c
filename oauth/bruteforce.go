package oauth

import (
	"context"
	"net/http"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/ratelimit"
	"github.com/keyhook/keyhook/store"
)

// AttackProtection is Auth0's attack protection on the token endpoint.
//
// Brute-force protection counts consecutive failed logins per user and IP in
// the store, so every node and every restart sees the same counts: at the
// threshold the pair is refused (429 too_many_attempts, log limit_wc) even
// with the right password, until the Management API unblocks it
// (/api/v2/user-blocks) or the user's password is changed. A successful login
// resets its pair's count.
//
// The per-IP throttles are in-memory token buckets (see package ratelimit),
// keyed by ratelimit.IPKey (IPv6 by /64): a failed login (any user, known or
// not) spends one of the IP's tokens, and an IP without tokens is refused
// before its next attempt is checked.
type AttackProtection struct {
	// MaxLoginFailures is the brute-force threshold; 0 means
	// keyhook.DefaultMaxLoginFailures and a negative value turns brute-force
	// protection off.
	MaxLoginFailures int
	// LoginFailuresPerIP throttles failed logins per IP address (Auth0's
	// suspicious IP throttling, log limit_mu); nil does not throttle.
	LoginFailuresPerIP *ratelimit.Limiter
	// ClientAuthFailuresPerIP throttles failed client authentications per
	// IP address (unknown client, wrong secret); nil does not throttle.
	ClientAuthFailuresPerIP *ratelimit.Limiter
}

func (p AttackProtection) maxLoginFailures() int {
	if p.MaxLoginFailures == 0 {
		return keyhook.DefaultMaxLoginFailures
	}
	return p.MaxLoginFailures
}

// accountBlockedRetryAfter is the Retry-After of a blocked pair's 429, in
// seconds. The block lasts until an unblock or a password change, not for a
// time; every 429 still carries Retry-After so that clients back off instead
// of retrying at once, and asking again after it is cheap.
const accountBlockedRetryAfter = "900"

// errAccountBlocked is Auth0's answer to a blocked user–IP pair. Auth0 adds
// that it sent an email with an unblock link; keyhook sends none.
func errAccountBlocked() *tokenError {
	return &tokenError{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
		Description: "Your account has been blocked after multiple consecutive login attempts.",
		retryAfter:  accountBlockedRetryAfter, logType: keyhook.LogBlockedAccount}
}

// errSuspiciousIP is Auth0's answer to an IP throttled for failed logins.
func errSuspiciousIP(d ratelimit.Decision) *tokenError {
	return &tokenError{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
		Description: "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.",
		retryAfter:  d.RetryAfterSeconds(), logType: keyhook.LogBlockedIP}
}

// errClientAuthThrottled answers an IP throttled for failed client
// authentications with Auth0's generic 429 of the Authentication API.
func errClientAuthThrottled(d ratelimit.Decision) *tokenError {
	return &tokenError{Status: http.StatusTooManyRequests, Code: "too_many_requests",
		Description: "Too many failed client authentications from this IP address. Retry later.",
		retryAfter:  d.RetryAfterSeconds(), logType: keyhook.LogAPILimit}
}

// authenticateClientThrottled is authenticateClient behind the per-IP
// throttle of client authentication failures.
func (h *Handler) authenticateClientThrottled(ctx context.Context, ex *exchange, secretRequired bool) (*keyhook.Client, *tokenError) {
	limiter, key := h.Protection.ClientAuthFailuresPerIP, ratelimit.IPKey(ex.ip)
	if d := limiter.Peek(key); !d.Allowed {
		return nil, errClientAuthThrottled(d)
	}
	client, terr := h.authenticateClient(ctx, ex, secretRequired)
	if terr != nil && terr.Status == http.StatusUnauthorized {
		limiter.Allow(key)
	}
	return client, terr
}

// loginGuard is the brute-force state of one login attempt.
type loginGuard struct {
	h          *Handler
	ex         *exchange
	connection string
	identifier string
	// failures is the pair's count before this attempt.
	failures int
}

// throttleIP refuses an IP that spent its failed logins.
func (h *Handler) throttleIP(ex *exchange) *tokenError {
	if d := h.Protection.LoginFailuresPerIP.Peek(ratelimit.IPKey(ex.ip)); !d.Allowed {
		return errSuspiciousIP(d)
	}
	return nil
}

// guardLogin reads the failures of user from the request's IP and refuses a
// blocked pair.
func (h *Handler) guardLogin(ctx context.Context, ex *exchange, user *keyhook.User, connection, username string) (*loginGuard, *tokenError) {
	g := &loginGuard{h: h, ex: ex, connection: connection, identifier: keyhook.LoginIdentifier(username)}
	limit := h.Protection.maxLoginFailures()
	if limit < 0 {
		return g, nil
	}
	fs, err := h.Store.LoginFailureList(ctx, store.LoginFailureListParams{UserID: user.ID, IP: ex.ip})
	if err != nil {
		h.logger().ErrorContext(ctx, "oauth: read login failures", "user_id", user.ID, "err", err)
		return nil, serverError()
	}
	for _, f := range fs {
		g.failures = f.Count
	}
	if g.failures >= limit {
		ex.log.UserID = user.ID
		return nil, errAccountBlocked()
	}
	return g, nil
}

// failed records a failed login: it spends one of the IP's tokens and, for a
// known user, counts the failure of the pair, blocking it at the threshold.
// user is nil for an unknown one.
func (h *Handler) loginFailed(ctx context.Context, ex *exchange, g *loginGuard, user *keyhook.User) *tokenError {
	h.Protection.LoginFailuresPerIP.Allow(ratelimit.IPKey(ex.ip))
	limit := h.Protection.maxLoginFailures()
	if user == nil || limit < 0 {
		return errWrongPassword()
	}
	n, err := h.Store.LoginFailureAdd(ctx, store.LoginFailureAddParams{
		UserID: user.ID, IP: ex.ip, Identifier: g.identifier, Connection: g.connection, At: ex.now,
	})
	if err != nil {
		// The attempt failed either way; only its count is lost.
		h.logger().ErrorContext(ctx, "oauth: record login failure", "user_id", user.ID, "err", err)
		return errWrongPassword()
	}
	if n >= limit {
		ex.log.UserID = user.ID
		return errAccountBlocked()
	}
	return errWrongPassword()
}

// succeeded resets the pair's count after a right password.
func (g *loginGuard) succeeded(ctx context.Context, user *keyhook.User) {
	if g.failures == 0 {
		return
	}
	_, err := g.h.Store.LoginFailureDelete(ctx, store.LoginFailureDeleteParams{UserID: user.ID, IP: g.ex.ip})
	if err != nil {
		g.h.logger().ErrorContext(ctx, "oauth: reset login failures", "user_id", user.ID, "err", err)
	}
}
