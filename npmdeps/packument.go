package npmdeps

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// packument is a package's registry metadata, in the abbreviated "install" form the registry
// serves for Accept: application/vnd.npm.install-v1+json (the full form parses the same).
// Manifests stay raw until one is picked: old packages carry fields of odd shapes in versions
// nobody asks for, and those must not fail the package.
type packument struct {
	Name     string                     `json:"name"`
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]json.RawMessage `json:"versions"`
}

// manifest is one published version.
type manifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	PeerDependenciesMeta map[string]struct {
		Optional bool `json:"optional"`
	} `json:"peerDependenciesMeta"`
	Dist struct {
		Tarball      string `json:"tarball"`
		Integrity    string `json:"integrity"`
		Shasum       string `json:"shasum"`
		UnpackedSize int64  `json:"unpackedSize"`
	} `json:"dist"`
	Deprecated json.RawMessage `json:"deprecated"`
	OS         json.RawMessage `json:"os"`
	CPU        json.RawMessage `json:"cpu"`
}

// platformSpecific says whether the version is limited to some os or cpu.
func (m *manifest) platformSpecific() bool {
	for _, raw := range []json.RawMessage{m.OS, m.CPU} {
		s := strings.TrimSpace(string(raw))
		if s != "" && s != "null" && s != "[]" && s != `""` {
			return true
		}
	}
	return false
}

func (m *manifest) deprecated() bool {
	d := strings.TrimSpace(string(m.Deprecated))
	return d != "" && d != "false" && d != "null" && d != `""`
}

// parsePackument decodes registry metadata for the package name it was asked for.
func parsePackument(name string, body []byte) (*packument, error) {
	var p packument
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, newError(KindRegistry, name, "", "package %s: the registry's metadata is not valid JSON: %v", name, err)
	}
	if p.Name != "" && p.Name != name {
		return nil, newError(KindRegistry, name, "", "package %s: the registry answered with metadata for %q", name, p.Name)
	}
	return &p, nil
}

// manifest decodes one version's manifest and checks what the resolver relies on.
func (p *packument) manifest(name, version string) (*manifest, error) {
	raw, ok := p.Versions[version]
	if !ok {
		return nil, newError(KindUnknownVersion, name, version, "package %s has no version %s", name, version)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, newError(KindRegistry, name, version, "package %s@%s: malformed metadata: %v", name, version, err)
	}
	if m.Version != "" && m.Version != version {
		return nil, newError(KindRegistry, name, version, "package %s@%s: the metadata says version %q", name, version, m.Version)
	}
	m.Version = version
	if m.Dist.Tarball == "" {
		return nil, newError(KindRegistry, name, version, "package %s@%s: the registry lists no tarball", name, version)
	}
	return &m, nil
}

// A specKind is what a dependency's version string asks for, as npm-package-arg reads it.
type specKind int

const (
	specTag     specKind = iota // a dist-tag such as "latest"; blank means "latest"
	specVersion                 // one exact version
	specRange                   // a semver range
	specAlias                   // "npm:other@spec": another package under this name
)

type spec struct {
	kind  specKind
	raw   string
	alias string // for specAlias: the real package's name; raw is then its spec
	rng   *npmRange
}

var tagPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*$`)

// parseSpec reads a dependency's version string. Git, file, URL and workspace specs are refused:
// nothing outside the registry is fetched.
func parseSpec(name, raw string) (spec, error) {
	s := strings.TrimSpace(raw)
	if rest, ok := strings.CutPrefix(s, "npm:"); ok {
		real, sub := rest, ""
		if i := strings.LastIndex(rest, "@"); i > 0 {
			real, sub = rest[:i], rest[i+1:]
		}
		if !validPackageName(real) {
			return spec{}, newError(KindUnsupportedSpec, name, raw, "dependency %s: %q is not a valid npm alias", name, raw)
		}
		inner, err := parseSpec(real, sub)
		if err != nil {
			return spec{}, err
		}
		if inner.kind == specAlias {
			return spec{}, newError(KindUnsupportedSpec, name, raw, "dependency %s: an alias of an alias (%q)", name, raw)
		}
		inner.alias = real
		return inner, nil
	}
	if s == "" {
		return spec{kind: specTag, raw: "latest"}, nil
	}
	if strings.ContainsAny(s, ":/") {
		return spec{}, newError(KindUnsupportedSpec, name, raw,
			"dependency %s: %q is not a version, range or dist-tag (git, file, URL and workspace dependencies are not supported)", name, raw)
	}
	if v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v")); err == nil {
		return spec{kind: specVersion, raw: v.Original()}, nil
	}
	if r, err := parseRange(s); err == nil {
		return spec{kind: specRange, raw: s, rng: r}, nil
	}
	if tagPattern.MatchString(s) {
		return spec{kind: specTag, raw: s}, nil
	}
	return spec{}, newError(KindUnknownVersion, name, raw, "dependency %s: %q is not a valid version, range or dist-tag", name, raw)
}

// npmRange is a semver range with npm's rule for prereleases, where Masterminds/semver differs:
// Masterminds lets any prerelease through a comparator set that names some prerelease, npm only
// prereleases of the same major.minor.patch as a prerelease named in that comparator set
// (">=1.2.3-beta.1" matches 1.2.3-beta.2 but not 1.3.0-alpha). Each "||" alternative is
// checked on its own, as npm does. Everything else (^, ~, x-ranges, hyphen ranges, "*", 0.x
// carets) is Masterminds's, which follows npm.
type npmRange struct {
	alts []rangeAlt
}

type rangeAlt struct {
	c           *semver.Constraints
	prerelTuple map[[3]uint64]bool
}

var prereleaseToken = regexp.MustCompile(`v?(\d+)\.(\d+)\.(\d+)-[0-9A-Za-z.-]+`)

func parseRange(s string) (*npmRange, error) {
	var r npmRange
	for _, alt := range strings.Split(s, "||") {
		alt = strings.TrimSpace(alt)
		if alt == "" {
			alt = "*" // npm reads an empty alternative as any version
		}
		c, err := semver.NewConstraint(alt)
		if err != nil {
			return nil, err
		}
		ra := rangeAlt{c: c, prerelTuple: map[[3]uint64]bool{}}
		for _, m := range prereleaseToken.FindAllStringSubmatch(alt, -1) {
			var t [3]uint64
			for i := range t {
				t[i], _ = strconv.ParseUint(m[i+1], 10, 64) // digits only; an overflow matches nothing
			}
			ra.prerelTuple[t] = true
		}
		r.alts = append(r.alts, ra)
	}
	return &r, nil
}

func (r *npmRange) satisfiedBy(v *semver.Version) bool {
	for _, a := range r.alts {
		if !a.c.Check(v) {
			continue
		}
		if v.Prerelease() == "" || a.prerelTuple[[3]uint64{v.Major(), v.Minor(), v.Patch()}] {
			return true
		}
	}
	return false
}

// pick chooses the version a spec resolves to, as npm-pick-manifest does: a tag's version; the
// exact version; for a range, the "latest" tag's version when it satisfies the range, else the
// highest satisfying version that is not deprecated, else the highest deprecated one.
func (p *packument) pick(name string, s spec) (string, error) {
	switch s.kind {
	case specTag:
		v, ok := p.DistTags[s.raw]
		if !ok {
			return "", newError(KindUnknownVersion, name, s.raw, "package %s has no dist-tag %q", name, s.raw)
		}
		if _, ok := p.Versions[v]; !ok {
			return "", newError(KindUnknownVersion, name, s.raw, "package %s: dist-tag %q names version %q, which is not published", name, s.raw, v)
		}
		// Versions name cache folders: only a real semver may come from the registry.
		if _, err := semver.StrictNewVersion(v); err != nil {
			return "", newError(KindRegistry, name, s.raw, "package %s: dist-tag %q names %q, which is not a version", name, s.raw, v)
		}
		return v, nil
	case specVersion:
		if _, ok := p.Versions[s.raw]; !ok {
			return "", newError(KindUnknownVersion, name, s.raw, "package %s has no version %s", name, s.raw)
		}
		return s.raw, nil
	}
	if latest, ok := p.DistTags["latest"]; ok {
		if _, published := p.Versions[latest]; published {
			if v, err := semver.StrictNewVersion(latest); err == nil && s.rng.satisfiedBy(v) {
				return latest, nil
			}
		}
	}
	var candidates []*semver.Version
	for raw := range p.Versions {
		v, err := semver.StrictNewVersion(raw)
		if err != nil {
			continue // not a version npm would publish today; npm skips it too
		}
		if s.rng.satisfiedBy(v) {
			candidates = append(candidates, v)
		}
	}
	if len(candidates) == 0 {
		return "", newError(KindUnknownVersion, name, s.raw, "package %s has no version matching %q", name, s.raw)
	}
	sort.Sort(sort.Reverse(semver.Collection(candidates)))
	for _, v := range candidates {
		var m manifest
		if json.Unmarshal(p.Versions[v.Original()], &m) == nil && !m.deprecated() {
			return v.Original(), nil
		}
	}
	return candidates[0].Original(), nil
}

var packageNamePattern = regexp.MustCompile(`^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$`)

// validPackageName is npm's rule for new package names, loosened to the upper case that old
// packages still have.
func validPackageName(name string) bool {
	return len(name) > 0 && len(name) <= 214 && packageNamePattern.MatchString(strings.ToLower(name))
}

// escapedName is the package name as it appears in a registry URL: a scoped name's "/" is
// percent-encoded.
func escapedName(name string) string {
	return strings.Replace(name, "/", "%2f", 1)
}
