package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keyhook/keyhook/mgmtapi"
)

// tinyRegistry serves one package, left-pad 1.0.0, packed by the test;
// every other package is unknown. status, when set, answers every request.
func tinyRegistry(t *testing.T, status int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{
		"package/package.json": `{"name":"left-pad","version":"1.0.0","main":"index.js"}`,
		"package/index.js":     `module.exports = function (s, n) { while (s.length < n) s = ' ' + s; return s; };`,
	} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tgz := buf.Bytes()
	sum := sha512.Sum512(tgz)
	var requests atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch {
		case status != 0:
			http.Error(w, "{}", status)
		case r.URL.Path == "/left-pad":
			_ = json.NewEncoder(w).Encode(map[string]any{
				"name": "left-pad", "dist-tags": map[string]string{"latest": "1.0.0"},
				"versions": map[string]any{"1.0.0": map[string]any{"name": "left-pad", "version": "1.0.0", "dist": map[string]any{
					"tarball":   srv.URL + "/left-pad/-/left-pad-1.0.0.tgz",
					"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
				}}},
			})
		case r.URL.Path == "/left-pad/-/left-pad-1.0.0.tgz":
			w.Write(tgz)
		default:
			http.Error(w, `{"error":"Not found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func TestBuildHook(t *testing.T) {
	t.Parallel()
	const hook = "module.exports = function (client, scope, audience, context, cb) { cb(null, { scope: scope }); };\n"
	tests := []struct {
		name        string
		status      int // the registry's answer to everything, when set
		script      string
		deps        map[string]string
		wantBundle  bool
		wantErr     string // a *mgmtapi.HookBuildError's message, by substring
		unavailable bool
		wantNoCalls bool // no registry is needed
	}{
		{name: "no package", script: "const c = require('crypto');\n" + hook, wantNoCalls: true},
		{name: "undeclared package left to the run", script: "const l = require('left-pad');\n" + hook, wantNoCalls: true},
		{name: "declared", script: "const l = require('left-pad');\n" + hook, deps: map[string]string{"left-pad": "^1.0.0"}, wantBundle: true},
		{name: "blank version", script: "const l = require('left-pad');\n" + hook, deps: map[string]string{"left-pad": ""}, wantBundle: true},
		{name: "name@version", script: "const l = require('left-pad@1.0.0');\n" + hook, wantBundle: true},
		{name: "unknown package", script: hook, deps: map[string]string{"no-such-package": "1.0.0"}, wantErr: "package no-such-package does not exist"},
		{name: "unknown version", script: "const l = require('left-pad@2.0.0');\n" + hook, wantErr: "left-pad"},
		{name: "registry refusing", status: http.StatusForbidden, script: hook, deps: map[string]string{"left-pad": "1.0.0"},
			wantErr: "refused access", unavailable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, requests := tinyRegistry(t, tt.status)
			b := &npmBuilder{registry: srv.URL, cacheDir: t.TempDir(), logger: slog.New(slog.DiscardHandler)}
			bundle, hash, err := b.BuildHook(context.Background(), tt.script, tt.deps)
			if tt.wantErr != "" {
				var be *mgmtapi.HookBuildError
				if !errors.As(err, &be) || !strings.Contains(be.Message, tt.wantErr) || be.Unavailable != tt.unavailable {
					t.Fatalf("err = %#v, want a HookBuildError %q (unavailable %v)", err, tt.wantErr, tt.unavailable)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := bundle != ""; got != tt.wantBundle || got != strings.HasPrefix(hash, "sha256-") {
				t.Fatalf("bundle of %d bytes, hash %q; want a bundle: %v", len(bundle), hash, tt.wantBundle)
			}
			if tt.wantBundle && !strings.Contains(bundle, "while (s.length < n)") {
				t.Fatalf("left-pad is not in the bundle:\n%s", bundle)
			}
			// npm's configuration was not even read (without a registry
			// configured, that asks npm).
			if n := requests.Load(); tt.wantNoCalls && (n != 0 || b.builder != nil) {
				t.Fatalf("a hook naming no package loaded the registry configuration (%d requests)", n)
			}
		})
	}
}
