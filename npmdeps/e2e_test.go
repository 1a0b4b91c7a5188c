package npmdeps

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRealRegistry resolves and bundles real packages from the registry npm is configured with
// on this machine. It needs the network and npm, so it runs only with KEYHOOK_NPM_E2E=1.
func TestRealRegistry(t *testing.T) {
	if os.Getenv("KEYHOOK_NPM_E2E") != "1" {
		t.Skip("set KEYHOOK_NPM_E2E=1 to resolve real packages from npm's registry")
	}
	// npm's answer is the override: where npm falls back on its own default registry, keyhook,
	// which names none, needs to be told (as an operator would with --npm-registry).
	out, err := exec.Command("npm", "config", "get", "registry").Output()
	if err != nil {
		t.Fatalf("npm config get registry: %v", err)
	}
	wd, _ := os.Getwd()
	reg, err := LoadRegistry(ConfigSource{Registry: strings.TrimSpace(string(out)), Environ: os.Environ(), Dir: wd})
	if err != nil {
		t.Fatal(err)
	}
	builtins := []string{"buffer", "crypto", "events", "os", "querystring", "stream", "string_decoder", "url", "util"}
	for _, m := range builtins {
		builtins = append(builtins, "node:"+m)
	}
	b, err := New(Options{Registry: reg, CacheDir: t.TempDir(), Builtins: builtins})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	in := Input{
		Code: `
const _ = require('lodash');
const { v4: uuidv4, validate } = require('uuid');
const { IncomingWebhook } = require('@slack/webhook');
exports.run = () => ({
  chunk: _.chunk([1, 2, 3, 4], 2),
  uuid: validate(uuidv4()),
  send: typeof new IncomingWebhook('https://hooks.slack.invalid/services/x').send,
});
`,
		Dependencies: []Dependency{{Name: "lodash", Version: "^4.17.0"}, {Name: "uuid", Version: "latest"}, {Name: "@slack/webhook", Version: ""}},
	}
	bundle, err := b.Build(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	exact := regexp.MustCompile(`^\d+\.\d+\.\d+$`)
	for _, p := range bundle.Dependencies {
		if !exact.MatchString(p.Version) {
			t.Errorf("%s pinned to %q", p.Name, p.Version)
		}
	}
	t.Logf("pinned %+v; %d packages, bundle %d KiB, unpacked %d KiB; resolve %v, fetch %v, bundle %v; left to the sandbox's require: %v",
		bundle.Dependencies, bundle.Metrics.Packages, bundle.Metrics.Bytes>>10, bundle.Metrics.UnpackedBytes>>10,
		bundle.Metrics.Resolve, bundle.Metrics.Fetch, bundle.Metrics.Bundle, bundle.RuntimeRequires)
	if got := runBundle(t, bundle, "m.run()"); got != `{"chunk":[[1,2],[3,4]],"uuid":true,"send":"function"}` {
		t.Fatalf("got %s", got)
	}
}
