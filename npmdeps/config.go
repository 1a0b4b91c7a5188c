package npmdeps

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ConfigSource says where to read npm's configuration from. npm itself is never run: its files
// and environment are read as `npm config get registry` would read them.
type ConfigSource struct {
	// Registry, when set, overrides the default registry (--npm-registry, KEYHOOK_NPM_REGISTRY),
	// as npm's --registry does: scoped registries and tokens from the files still apply.
	Registry string
	// Environ is the process environment as os.Environ returns it.
	Environ []string
	// Dir is where npm would run; its project .npmrc is found from here as npm finds its local
	// prefix (the nearest folder up with a package.json or node_modules, else Dir itself).
	Dir string
	// NodePath is node's executable, whose folder's parent is npm's default global prefix.
	// Empty: "node" is looked up in Environ's PATH; not found, there is no global config file
	// unless NPM_CONFIG_GLOBALCONFIG, NPM_CONFIG_PREFIX or PREFIX name one.
	NodePath string
	// NPMDir is npm's own package folder, holding its builtin npmrc. Empty: found from the "npm"
	// on Environ's PATH when that is a link to npm's bin/npm-cli.js, as npm installs it.
	NPMDir string
	// NPMDefault, when set, is asked for npm's built-in default registry when no layer sets
	// one: npm compiles that default into itself, and keyhook names no registry of its own, so
	// the caller asks npm (AskNPM runs `npm config get registry`).
	NPMDefault func() (string, error)
}

// AskNPM runs `npm config get registry` with the environment given and returns what npm
// prints: its configured registry, or its built-in default when nothing is configured.
func AskNPM(ctx context.Context, environ []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "config", "get", "registry")
	cmd.Env = environ
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm config get registry: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Registry is npm's registry configuration: the default registry, the scoped ones, and the
// credentials per registry path. Credentials are unexported and no method prints them.
type Registry struct {
	// URL is the default registry, ending in "/".
	URL string
	// Scopes maps "@scope" to that scope's registry, each ending in "/".
	Scopes map[string]string
	// Source says where URL came from ("--npm-registry", "environment NPM_CONFIG_REGISTRY", a
	// file path), for logs.
	Source string
	// auth maps npm's "nerf-darted" registry keys (//host/path/) to an Authorization value.
	auth map[string]string
}

// String names the registry for logs: URL without credentials, and where it came from.
func (r *Registry) String() string {
	if r == nil {
		return "no npm registry"
	}
	return redactURL(r.URL) + " (from " + r.Source + ")"
}

// LoadRegistry reads npm's configuration: the override, then the npm_config_* environment, then
// the project, user, global and builtin .npmrc files, in npm's order of precedence. It fails with
// ErrNoRegistry when none of them sets a registry: keyhook names no registry of its own.
func LoadRegistry(src ConfigSource) (*Registry, error) {
	env := map[string]string{}
	for _, kv := range src.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	home := env["HOME"]
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	dir := src.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	c := &npmConfig{home: home, dir: dir}

	// Layers from highest precedence to lowest; the file layers are filled as npm loads them,
	// each file's location depending on the layers above it.
	envLayer := layer{name: "environment", values: npmEnvConfig(src.Environ, env)}
	builtin := layer{}
	npmDir := src.NPMDir
	if npmDir == "" {
		npmDir = findNPMDir(env["PATH"])
	}
	if npmDir != "" {
		if err := builtin.read(filepath.Join(npmDir, "npmrc"), env); err != nil {
			return nil, err
		}
	}
	c.layers = []*layer{&envLayer, &builtin}

	userconfig := c.path("userconfig", filepath.Join(home, ".npmrc"))
	project := layer{}
	if projectFile := filepath.Join(localPrefix(dir), ".npmrc"); projectFile != userconfig {
		if err := project.read(projectFile, env); err != nil {
			return nil, err
		}
	}
	c.layers = []*layer{&envLayer, &project, &builtin}

	user := layer{}
	if err := user.read(c.path("userconfig", filepath.Join(home, ".npmrc")), env); err != nil {
		return nil, err
	}
	c.layers = []*layer{&envLayer, &project, &user, &builtin}

	globalPrefix := defaultGlobalPrefix(env, src.NodePath)
	prefix := c.path("prefix", globalPrefix)
	global := layer{}
	if globalFile := c.path("globalconfig", joinIfSet(prefix, "etc", "npmrc")); globalFile != "" {
		if err := global.read(globalFile, env); err != nil {
			return nil, err
		}
	}
	c.layers = []*layer{&envLayer, &project, &user, &global, &builtin}

	r, err := c.registry(src.Registry)
	if errors.Is(err, ErrNoRegistry) && src.NPMDefault != nil && src.Registry == "" {
		if _, _, set := c.get("registry"); !set {
			def, askErr := src.NPMDefault()
			if askErr != nil || def == "" {
				return nil, err
			}
			r, err = c.registry(def)
			if r != nil {
				r.Source = "npm's built-in default (npm config get registry)"
			}
		}
	}
	return r, err
}

// npmConfig is the loaded layers, highest precedence first.
type npmConfig struct {
	layers []*layer
	home   string
	dir    string
}

type layer struct {
	name   string // "environment", or the file it was read from
	values map[string]string
}

func (l *layer) read(path string, env map[string]string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("npm config: %w", err)
	}
	if l.name == "" {
		l.name = path
	}
	l.values = parseNpmrc(string(b), env)
	return nil
}

func (c *npmConfig) get(key string) (value, source string, ok bool) {
	for _, l := range c.layers {
		if v, ok := l.values[key]; ok && v != "" {
			return v, l.name, true
		}
	}
	return "", "", false
}

// path reads a path setting as npm does: "~/" is the home folder, a relative path is relative
// to the working folder.
func (c *npmConfig) path(key, def string) string {
	v, _, ok := c.get(key)
	if !ok {
		return def
	}
	if strings.HasPrefix(v, "~/") && c.home != "" {
		return filepath.Join(c.home, v[2:])
	}
	if !filepath.IsAbs(v) {
		return filepath.Join(c.dir, v)
	}
	return filepath.Clean(v)
}

func (c *npmConfig) registry(override string) (*Registry, error) {
	r := &Registry{Scopes: map[string]string{}, auth: map[string]string{}}
	raw, source, ok := override, "--npm-registry", override != ""
	if !ok {
		raw, source, ok = c.get("registry")
	}
	if !ok {
		return nil, &Error{Kind: KindNoRegistry, Message: "no npm registry is configured: set --npm-registry " +
			"(KEYHOOK_NPM_REGISTRY), NPM_CONFIG_REGISTRY, or registry= in an .npmrc file"}
	}
	u, err := registryURL(raw)
	if err != nil {
		return nil, &Error{Kind: KindNoRegistry, Message: fmt.Sprintf("npm registry from %s: %v", source, err)}
	}
	r.URL, r.Source = u, source

	// Lowest precedence first, so that higher layers overwrite.
	keys := map[string]string{}
	for i := len(c.layers) - 1; i >= 0; i-- {
		for k, v := range c.layers[i].values {
			if v != "" {
				keys[k] = v
			}
		}
	}
	for k, v := range keys {
		if scope, ok := strings.CutSuffix(k, ":registry"); ok && strings.HasPrefix(scope, "@") && !strings.Contains(scope, "/") {
			su, err := registryURL(v)
			if err != nil {
				return nil, &Error{Kind: KindNoRegistry, Message: fmt.Sprintf("npm registry for scope %s: %v", scope, err)}
			}
			r.Scopes[scope] = su
		}
	}
	for k := range keys {
		if !strings.HasPrefix(k, "//") {
			continue
		}
		nerf, field, ok := cutLast(k, ":")
		if !ok {
			continue
		}
		switch field {
		case "_authToken":
			r.auth[nerf] = "Bearer " + keys[k]
		case "_auth":
			if _, set := r.auth[nerf]; !set || !strings.HasPrefix(r.auth[nerf], "Bearer ") {
				r.auth[nerf] = "Basic " + keys[k]
			}
		case "username":
			pw, hasPw := keys[nerf+":_password"]
			_, hasToken := keys[nerf+":_authToken"]
			_, hasAuth := keys[nerf+":_auth"]
			if hasPw && !hasToken && !hasAuth {
				// npm stores the password base64-encoded.
				p, err := base64.StdEncoding.DecodeString(pw)
				if err != nil {
					return nil, &Error{Kind: KindNoRegistry, Message: fmt.Sprintf("npm config: the _password for %s is not base64", nerf)}
				}
				r.auth[nerf] = "Basic " + base64.StdEncoding.EncodeToString([]byte(keys[k]+":"+string(p)))
			}
		}
	}
	return r, nil
}

// registryFor returns the registry serving a package: its scope's, else the default.
func (r *Registry) registryFor(name string) string {
	if strings.HasPrefix(name, "@") {
		if scope, _, ok := strings.Cut(name, "/"); ok {
			if u, ok := r.Scopes[scope]; ok {
				return u
			}
		}
	}
	return r.URL
}

// authorization returns the Authorization header for a request to uri, as npm-registry-fetch
// chooses it: the credentials of the longest configured //host/path/ prefix of uri; failing
// that, those of the package's registry when uri is on the same host (tarballs often live on a
// different path of the registry's host).
func (r *Registry) authorization(uri, pkgRegistry string) string {
	if v := r.authForURI(uri); v != "" {
		return v
	}
	a, errA := url.Parse(uri)
	b, errB := url.Parse(pkgRegistry)
	if errA == nil && errB == nil && a.Host == b.Host {
		return r.authForURI(pkgRegistry)
	}
	return ""
}

func (r *Registry) authForURI(uri string) string {
	if len(r.auth) == 0 {
		return ""
	}
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	key := "//" + u.Host + u.EscapedPath()
	for len(key) > len("//") {
		if v, ok := r.auth[key]; ok {
			return v
		}
		// Walk up: drop the last path segment, or the trailing slash.
		if strings.HasSuffix(key, "/") {
			key = key[:len(key)-1]
		} else {
			key = key[:strings.LastIndex(key, "/")+1]
		}
	}
	return ""
}

// npmEnvConfig returns the npm_config_* variables as npm names them: case-insensitive prefix,
// the rest lower-cased with "_" turned into "-" (but for a leading "_"), keys starting with "//"
// kept as written. Empty values are skipped, and ${VAR} replaced, as npm does.
func npmEnvConfig(environ []string, env map[string]string) map[string]string {
	out := map[string]string{}
	// Sorted so that NPM_CONFIG_X and npm_config_x, if both set, resolve the same way every time.
	sorted := append([]string(nil), environ...)
	sort.Strings(sorted)
	for _, kv := range sorted {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || len(k) <= len("npm_config_") || !strings.EqualFold(k[:len("npm_config_")], "npm_config_") {
			continue
		}
		key := k[len("npm_config_"):]
		if !strings.HasPrefix(key, "//") {
			key = strings.ToLower(key[:1]) + strings.ToLower(strings.ReplaceAll(key[1:], "_", "-"))
		}
		out[key] = envReplace(v, env)
	}
	return out
}

// localPrefix is npm's project folder: the nearest folder at or above dir holding a package.json
// or a node_modules folder, else dir.
func localPrefix(dir string) string {
	for p := dir; ; {
		if fileExists(filepath.Join(p, "package.json")) || dirExists(filepath.Join(p, "node_modules")) {
			return p
		}
		parent := filepath.Dir(p)
		if parent == p {
			return dir
		}
		p = parent
	}
}

// defaultGlobalPrefix is npm's default prefix: $PREFIX, else node's folder's parent (with
// $DESTDIR before it).
func defaultGlobalPrefix(env map[string]string, nodePath string) string {
	if p := env["PREFIX"]; p != "" {
		return p
	}
	if nodePath == "" {
		nodePath = lookPath("node", env["PATH"])
	}
	if nodePath == "" {
		return ""
	}
	prefix := filepath.Dir(filepath.Dir(nodePath))
	if d := env["DESTDIR"]; d != "" {
		prefix = filepath.Join(d, prefix)
	}
	return prefix
}

// findNPMDir finds npm's package folder from the npm on PATH, which npm installs as a link to
// <npm>/bin/npm-cli.js.
func findNPMDir(path string) string {
	bin := lookPath("npm", path)
	if bin == "" {
		return ""
	}
	real, err := filepath.EvalSymlinks(bin)
	if err != nil || filepath.Base(real) != "npm-cli.js" || filepath.Base(filepath.Dir(real)) != "bin" {
		return ""
	}
	return filepath.Dir(filepath.Dir(real))
}

// lookPath finds an executable in a PATH value without consulting the process's own PATH.
func lookPath(name, path string) string {
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// registryURL checks a registry setting and gives it the trailing slash npm adds.
func registryURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", redactURL(raw))
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, nil
}

// redactURL drops any user:password from a URL before it is logged or shown.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if err != nil {
			return "(unparsable URL)"
		}
		return raw
	}
	u.User = nil
	return u.String()
}

func jsonString(s string) (string, bool) {
	var v string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "", false
	}
	return v, true
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func joinIfSet(base string, elem ...string) string {
	if base == "" {
		return ""
	}
	return filepath.Join(append([]string{base}, elem...)...)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
