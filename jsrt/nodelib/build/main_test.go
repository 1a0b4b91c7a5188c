package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPackageDir(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		input string
		want  string
		ok    bool
	}{
		{"node_modules/buffer/index.js", "node_modules/buffer", true},
		{"node_modules/@exodus/bytes/lib/x.js", "node_modules/@exodus/bytes", true},
		{"node_modules/url/node_modules/punycode/punycode.js", "node_modules/url/node_modules/punycode", true},
		{"entries/url.js", "", false},
		{"shims/qs.js", "", false},
		{"node_modules/x", "", false},
	} {
		got, ok := packageDir(tc.input)
		if got != tc.want || ok != tc.ok {
			t.Errorf("packageDir(%q) = %q, %v; want %q, %v", tc.input, got, ok, tc.want, tc.ok)
		}
	}
}

// fakeBuild lays out a build directory with one entry and packages given as path → content
// under node_modules.
func fakeBuild(t *testing.T, entry, entrySrc string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("entries/"+entry+".js", entrySrc)
	write("shims/qs.js", "module.exports = {};\n")
	for rel, content := range files {
		write("node_modules/"+rel, content)
	}
	return dir
}

func TestBundleKeepsBuiltinsRequires(t *testing.T) {
	t.Parallel()
	dir := fakeBuild(t, "events", "module.exports = require('events/');\n", map[string]string{
		"events/package.json": `{"name": "events", "version": "9.9.9"}`,
		"events/LICENSE":      "MIT, for the test\n",
		"events/index.js": "const { Buffer } = require('buffer');\nconst util = require('node:util');\n" +
			"const process = require('process/');\nconst helper = require('helper');\nmodule.exports = { Buffer, util, process, helper };\n",
		"helper/package.json": `{"name": "helper", "version": "1.2.3", "license": "ISC"}`,
		"helper/index.js":     "module.exports = 42;\n",
	})
	js, pkgs, err := bundle(dir, "events")
	if err != nil {
		t.Fatal(err)
	}
	src := string(js)
	for _, want := range []string{`require("buffer")`, `require("util")`, `require("process")`, "exports = 42;"} {
		if !strings.Contains(src, want) {
			t.Errorf("the bundle lacks %s:\n%s", want, src)
		}
	}
	if strings.Contains(src, `require("node:`) || strings.Contains(src, `require("process/")`) {
		t.Errorf("a require keeps its node: prefix or trailing slash:\n%s", src)
	}
	if got := strings.Join(pkgs, " "); got != "events@9.9.9 helper@1.2.3" {
		t.Errorf("packages = %s", got)
	}
	if !strings.HasPrefix(src, "// Code generated") || !strings.Contains(src, "from npm events@9.9.9, helper@1.2.3.") {
		t.Errorf("header:\n%.300s", src)
	}
	lic, err := licenseFile(dir, map[string]bool{"events@9.9.9": true, "helper@1.2.3": true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lic), "MIT, for the test") || !strings.Contains(string(lic), "License: ISC") {
		t.Errorf("licences:\n%s", lic)
	}
}

// A pinned package whose code moved must fail the build, not lose its fix.
func TestPatchThatNoLongerAppliesFails(t *testing.T) {
	t.Parallel()
	dir := fakeBuild(t, "buffer", "module.exports = require('buffer/');\n", map[string]string{
		"buffer/package.json": `{"name": "buffer", "version": "7.0.0"}`,
		"buffer/index.js":     "exports.Buffer = function Buffer() {};\n",
	})
	_, _, err := bundle(dir, "buffer")
	if err == nil || !strings.Contains(err.Error(), "matches 0 times") {
		t.Fatalf("err = %v, want a patch that matches 0 times", err)
	}
}

func TestUnknownBuiltinFails(t *testing.T) {
	t.Parallel()
	dir := fakeBuild(t, "events", "module.exports = require('events/');\n", map[string]string{
		"events/package.json": `{"name": "events", "version": "1.0.0"}`,
		"events/index.js":     "module.exports = require('child_process');\n",
	})
	if _, _, err := bundle(dir, "events"); err == nil || !strings.Contains(err.Error(), "child_process") {
		t.Fatalf("err = %v, want the unresolved child_process", err)
	}
}
