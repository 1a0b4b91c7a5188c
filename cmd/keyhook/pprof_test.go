package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestProfilerLoopbackOnly(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:6060", "example.test:6060", "127.0.0.1"} {
		if srv, _, err := startProfiler(addr, logger); err == nil {
			_ = srv.Close()
			t.Errorf("--pprof %s accepted", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "localhost:0"} {
		srv, _, err := startProfiler(addr, logger)
		if err != nil {
			if strings.Contains(err.Error(), "loopback") {
				t.Errorf("--pprof %s refused: %v", addr, err)
			}
			continue // e.g. no IPv6 on this machine
		}
		_ = srv.Close()
	}
}

func TestProfilerServesIndex(t *testing.T) {
	t.Parallel()
	srv, addr, err := startProfiler("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	resp, err := http.Get("http://" + addr.String() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("GET /debug/pprof/: %d %.200s", resp.StatusCode, body)
	}
}
