// Package server assembles the http.Handler that both listeners serve: each
// API package mounts its own routes; this package adds health, readiness,
// Prometheus metrics, panic recovery, request metrics, the security headers
// of every response, the input check of every path and query, and a
// debug-level log line per request.
//
// It imports inputcheck, reqlog and the Prometheus client; API packages are
// passed in as Mounters so this package does not depend on them.
package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/keyhook/keyhook/inputcheck"
	"github.com/keyhook/keyhook/reqlog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Mounter is an API package's handler.
type Mounter interface {
	Mount(mux *http.ServeMux)
}

// InputErrorWriter is implemented by Mounters that answer, in their own
// error shape, a request to one of their paths that failed
// inputcheck.Request (its path, its query or a header it stores); err is
// an *inputcheck.Error. WriteInputError reports false for paths that are
// not the package's; the server then answers in plain JSON.
type InputErrorWriter interface {
	WriteInputError(w http.ResponseWriter, r *http.Request, err error) bool
}

// Pinger checks the database for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config is what New needs.
type Config struct {
	DB     Pinger
	Mounts []Mounter
	Logger *slog.Logger
	// Registry receives the server's metrics; nil creates one.
	Registry *prometheus.Registry
}

// New returns the handler for every listener.
func New(cfg Config) http.Handler {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keyhook_http_requests_total", Help: "HTTP requests by route pattern and status code.",
	}, []string{"route", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "keyhook_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"route"})
	reg.MustRegister(requests, duration)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if err := cfg.DB.Ping(ctx); err != nil {
			logger.WarnContext(ctx, "readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"database unreachable"}` + "\n"))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	var inputWriters []InputErrorWriter
	for _, m := range cfg.Mounts {
		m.Mount(mux)
		if iw, ok := m.(InputErrorWriter); ok {
			inputWriters = append(inputWriters, iw)
		}
	}
	return instrument(mux, logger, requests, duration, inputWriters)
}

// instrument recovers panics (answering 500 only if nothing was written),
// counts requests by the pattern that matched, never the raw path, so ids do
// not explode the label space, and logs one debug line per request. Before
// the mux it sets the security headers and refuses a path, query or stored
// header that is not valid UTF-8 or holds a NUL, so no route can forget to.
func instrument(mux *http.ServeMux, logger *slog.Logger, requests *prometheus.CounterVec, duration *prometheus.HistogramVec, inputWriters []InputErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var note *reqlog.Note
		if logger.Enabled(r.Context(), slog.LevelDebug) {
			var ctx context.Context
			ctx, note = reqlog.With(r.Context())
			r = r.WithContext(ctx)
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(r.Context(), "handler panic", "panic", p, "method", r.Method, "path", r.URL.Path)
				if !sw.wrote {
					sw.Header().Set("Content-Type", "application/json")
					sw.WriteHeader(http.StatusInternalServerError)
					_, _ = sw.Write([]byte(`{"statusCode":500,"error":"Internal Server Error","message":"Internal error"}` + "\n"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			elapsed := time.Since(start)
			requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
			duration.WithLabelValues(route).Observe(elapsed.Seconds())
			if note != nil {
				logRequest(r, logger, route, code, elapsed, note)
			}
		}()
		setSecurityHeaders(sw.Header(), r)
		if err := inputcheck.Request(r); err != nil {
			writeInputError(sw, r, err, inputWriters)
			return
		}
		mux.ServeHTTP(sw, r)
	})
}

// logRequest writes the request's debug line: what a user running with
// --log-level debug needs to see what their tools send. Never the query
// (it may carry credentials), a body, a header value or a token.
func logRequest(r *http.Request, logger *slog.Logger, route string, status int, elapsed time.Duration, note *reqlog.Note) {
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.EscapedPath()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
	}
	if id := note.ClientID(); id != "" {
		attrs = append(attrs, slog.String("client_id", id))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, slog.String("user_agent", ua))
	}
	logger.LogAttrs(r.Context(), slog.LevelDebug, "request", attrs...)
}

// hstsMaxAge is one year, what HSTS preload lists ask for; subdomains are
// left to their own servers.
const hstsMaxAge = "max-age=31536000"

// setSecurityHeaders sets what every response carries: nosniff, and on
// HTTPS, HSTS — for every host, localhost included, because the issuer is
// an https URL and a downgrade to HTTP would expose tokens and passwords.
// (Browsers apply it to every port of the host; a developer who also runs
// plain-HTTP sites on localhost can clear it in the browser. RFC 6797 §8.1
// has browsers ignore it for IP addresses.)
func setSecurityHeaders(h http.Header, r *http.Request) {
	h.Set("X-Content-Type-Options", "nosniff")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", hstsMaxAge)
	}
}

// writeInputError lets the API that owns the path answer in its error
// shape, or answers in plain JSON.
func writeInputError(w http.ResponseWriter, r *http.Request, err error, writers []InputErrorWriter) {
	for _, iw := range writers {
		if iw.WriteInputError(w, r, err) {
			return
		}
	}
	body, _ := json.Marshal(map[string]any{
		"statusCode": http.StatusBadRequest, "error": http.StatusText(http.StatusBadRequest), "message": err.Error(),
	})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(append(body, '\n'))
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
