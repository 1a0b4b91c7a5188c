// Package server assembles the http.Handler that both listeners serve: each
// API package mounts its own routes; this package adds health, readiness,
// Prometheus metrics, panic recovery and request metrics.
//
// It imports store and the Prometheus client; API packages are passed in as
// Mounters so this package does not depend on them.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Mounter is an API package's handler.
type Mounter interface {
	Mount(mux *http.ServeMux)
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
	for _, m := range cfg.Mounts {
		m.Mount(mux)
	}
	return instrument(mux, logger, requests, duration)
}

// instrument recovers panics (answering 500 only if nothing was written) and
// counts requests by the pattern that matched, never the raw path, so ids do
// not explode the label space.
func instrument(mux *http.ServeMux, logger *slog.Logger, requests *prometheus.CounterVec, duration *prometheus.HistogramVec) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
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
			requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
			duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}()
		mux.ServeHTTP(sw, r)
	})
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
