package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

type panicky struct{}

func (panicky) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	h := New(Config{DB: pinger{}, Mounts: []Mounter{panicky{}}})
	if code, _ := get(t, h, "/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := get(t, h, "/readyz"); code != 200 {
		t.Errorf("/readyz = %d", code)
	}
	if code, body := get(t, h, "/boom"); code != 500 || !strings.Contains(body, `"statusCode":500`) {
		t.Errorf("/boom = %d %s", code, body)
	}
	code, body := get(t, h, "/metrics")
	if code != 200 || !strings.Contains(body, `keyhook_http_requests_total{code="500",route="GET /boom"} 1`) {
		t.Errorf("/metrics = %d, missing the request counter:\n%s", code, body)
	}
	down := New(Config{DB: pinger{err: errors.New("down")}})
	if code, _ := get(t, down, "/readyz"); code != 503 {
		t.Errorf("/readyz with the database down = %d, want 503", code)
	}
}
