package mgmtapi

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/keyhook/keyhook/reqlog"
)

// TokenVerifier checks a JWT's signature, algorithm, exp and nbf and
// returns its claims. *signer.Signer satisfies it: RS256 only, signed by
// one of the tenant's keys.
type TokenVerifier interface {
	Verify(token string) (map[string]any, error)
}

// principal is the authenticated caller of one request.
type principal struct {
	kind subjectKind
	// clientID is the client the token was issued to (azp, or the sub of a
	// client-credentials token).
	clientID string
	// subject is sub: the user id of a user token.
	subject string
	scopes  map[string]bool
}

func (p *principal) hasAny(scopes []string) bool {
	for _, s := range scopes {
		if p.scopes[s] {
			return true
		}
	}
	return false
}

type principalKey struct{}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

var (
	errMissingAuth  = &apiError{Status: http.StatusUnauthorized, Message: "Missing authentication"}
	errInvalidToken = &apiError{Status: http.StatusUnauthorized, Message: "Invalid token"}
)

// authenticate verifies the Bearer token of r: signature, algorithm, exp
// and nbf (the Verifier), then iss, aud and the subject kind. A handler
// without an Issuer accepts no token.
func (h *Handler) authenticate(r *http.Request) (*principal, *apiError) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return nil, errMissingAuth
	}
	scheme, token, ok := strings.Cut(authz, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, errMissingAuth
	}
	if h.Verifier == nil || h.Issuer == "" {
		return nil, errInvalidToken
	}
	claims, err := h.Verifier.Verify(token)
	if err != nil {
		return nil, errInvalidToken
	}
	if iss, _ := claims["iss"].(string); iss != h.Issuer {
		return nil, errInvalidToken
	}
	if !audienceMatches(claims["aud"], h.Audience) {
		return nil, &apiError{Status: http.StatusUnauthorized, Message: "Bad audience: " + audienceString(claims["aud"])}
	}
	return principalOf(claims)
}

func audienceMatches(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok && s == want {
				return true
			}
		}
	case []string:
		for _, s := range a {
			if s == want {
				return true
			}
		}
	}
	return false
}

func audienceString(aud any) string {
	switch a := aud.(type) {
	case string:
		return a
	case []any:
		parts := make([]string, 0, len(a))
		for _, v := range a {
			if s, ok := v.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func insufficientScope(scopes []string) *apiError {
	return &apiError{
		Status:    http.StatusForbidden,
		Message:   "Insufficient scope, expected any of: " + strings.Join(scopes, ","),
		ErrorCode: "insufficient_scope",
	}
}

type authErrKey struct{}

// guard wraps a route: authentication, then the rate limiter (keyed by
// rateKey: by remote address when authentication failed, so 401s are
// limited and carry the headers too), then authorization of the
// route of pattern (authorize). The empty pattern is the catch-all 404,
// which any authenticated caller may reach.
func (h *Handler) guard(pattern string, scopes []string, fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ae, _ := r.Context().Value(authErrKey{}).(*apiError); ae != nil {
			h.writeError(w, r, ae)
			return
		}
		if pattern != "" {
			if ae := authorize(principalFrom(r.Context()), pattern, scopes, r); ae != nil {
				h.writeError(w, r, ae)
				return
			}
		}
		if h.ConfigChanged != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
			w = &changeNotifier{ResponseWriter: w, notify: h.ConfigChanged}
		}
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
	limited := h.Limiter.Middleware(inner, rateKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ae := h.authenticate(r)
		ctx := r.Context()
		if ae != nil {
			ctx = context.WithValue(ctx, authErrKey{}, ae)
		} else {
			ctx = context.WithValue(ctx, principalKey{}, p)
			reqlog.SetClientID(ctx, p.clientID)
		}
		limited.ServeHTTP(w, r.WithContext(ctx))
	})
}

// rateKey buckets a client's requests by client, a user's by user (the
// users of one public app must not exhaust each other's limit), and
// unauthenticated requests by remote address.
func rateKey(r *http.Request) string {
	if p := principalFrom(r.Context()); p != nil {
		if p.kind == kindUser {
			return "user:" + p.subject
		}
		if p.clientID != "" {
			return "client:" + p.clientID
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// changeNotifier calls notify once, before the first byte of the answer:
// handlers answer after their transaction commits, so whoever learns of a
// change from the answer finds caches already invalidated.
type changeNotifier struct {
	http.ResponseWriter
	notify   func()
	notified bool
}

func (n *changeNotifier) before() {
	if !n.notified {
		n.notified = true
		n.notify()
	}
}

func (n *changeNotifier) WriteHeader(code int) {
	n.before()
	n.ResponseWriter.WriteHeader(code)
}

func (n *changeNotifier) Write(b []byte) (int, error) {
	n.before()
	return n.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (n *changeNotifier) Unwrap() http.ResponseWriter { return n.ResponseWriter }
