// Command importdocs checks that keyhook's package import rules and package docs agree.
//
// The depguard rules in .golangci.yml are the source of truth; golangci-lint enforces them on the
// code. This command checks the rest, which no linter does: every package directory has a rule,
// every rule names an existing package, and each package's doc comment has one paragraph about
// imports that names everything its rule allows and no keyhook package it does not. The format
// it reads is described at the top of .golangci.yml. Run it from the module root:
//
//	go run ./.ci/importdocs
//
// It lives under .ci so that `./...` patterns, and so the module's own builds and rules, skip it.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

const (
	module     = "github.com/keyhook/keyhook"
	configFile = ".golangci.yml"
	domainName = "the domain package"
)

// A rule is one depguard rule of the configuration.
type rule struct {
	name  string
	line  int
	files []string
	allow []entry
}

// An entry is one allowed import path and the words the package doc uses for it.
type entry struct {
	path  string
	words string
	line  int
}

func main() {
	problems, err := check()
	if err != nil {
		fmt.Fprintln(os.Stderr, "importdocs:", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "importdocs:", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "importdocs: %d problems; the rules and their format are in %s\n", len(problems), configFile)
		os.Exit(1)
	}
}

func check() ([]string, error) {
	rules, err := readRules(configFile)
	if err != nil {
		return nil, err
	}
	dirs, err := packageDirs(".")
	if err != nil {
		return nil, err
	}
	var problems []string
	byDir := map[string]rule{}
	for _, r := range rules {
		dir, ok := packageDir(r)
		if !ok {
			continue // a rule for files of every package, such as the one for tests
		}
		if prev, dup := byDir[dir]; dup {
			problems = append(problems, fmt.Sprintf("%s:%d: rule %q is the second rule for %s (the first is %q)", configFile, r.line, r.name, dir, prev.name))
			continue
		}
		byDir[dir] = r
		if !slices.Contains(dirs, dir) {
			problems = append(problems, fmt.Sprintf("%s:%d: rule %q is for %s, which holds no Go package", configFile, r.line, r.name, dir))
		}
	}
	for _, dir := range dirs {
		r, ok := byDir[dir]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: package %s has no depguard rule in %s", dir, importPath(dir), configFile))
			continue
		}
		problems = append(problems, checkDoc(dir, r, dirs)...)
	}
	return problems, nil
}

// checkDoc compares the import paragraph of the package doc in dir with its rule.
func checkDoc(dir string, r rule, dirs []string) []string {
	doc, err := packageDoc(dir)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", dir, err)}
	}
	var paragraphs []string
	for p := range strings.SplitSeq(doc, "\n\n") {
		if strings.Contains(p, "import") {
			paragraphs = append(paragraphs, strings.Join(strings.Fields(p), " "))
		}
	}
	if len(paragraphs) != 1 {
		return []string{fmt.Sprintf("%s: the package doc has %d paragraphs about imports, want one that states the rule %q of %s", dir, len(paragraphs), r.name, configFile)}
	}
	text := paragraphs[0]
	var problems []string
	for _, e := range r.allow {
		if e.path == "$gostd" {
			continue
		}
		words := e.words
		if words == "" {
			words = defaultWords(e.path)
		}
		if words == "" {
			problems = append(problems, fmt.Sprintf("%s:%d: %s needs the words its package doc uses for it after \"#\"", configFile, e.line, e.path))
			continue
		}
		if !mentions(text, words) {
			problems = append(problems, fmt.Sprintf("%s: the package doc does not name %q (%s), which rule %q allows: %q", dir, words, e.path, r.name, text))
		}
	}
	// A keyhook package the doc names must be one the rule allows.
	named := slices.Clone(dirs)
	named = slices.DeleteFunc(named, func(d string) bool { return d == "." || d == dir })
	for _, d := range named {
		if mentions(text, d) && !allows(r, importPath(d)) {
			problems = append(problems, fmt.Sprintf("%s: the package doc names %s, which rule %q does not allow: %q", dir, d, r.name, text))
		}
	}
	if mentions(text, domainName) && !allows(r, module) {
		problems = append(problems, fmt.Sprintf("%s: the package doc names %s, which rule %q does not allow: %q", dir, domainName, r.name, text))
	}
	return problems
}

// defaultWords is how a package doc names a keyhook package: the domain package, or by its
// directory. Other imports carry their words in the configuration.
func defaultWords(path string) string {
	switch {
	case path == module+"$":
		return domainName
	case strings.HasPrefix(path, module+"/") && strings.HasSuffix(path, "$"):
		return strings.TrimSuffix(strings.TrimPrefix(path, module+"/"), "$")
	}
	return ""
}

// mentions reports whether text holds words as a whole phrase: "store" is not mentioned by
// "store/sqlite" or "stored".
func mentions(text, words string) bool {
	re := regexp.MustCompile(`(^|[\s("'])` + regexp.QuoteMeta(words) + `($|[\s,.;:)"'])`)
	return re.MatchString(text)
}

// allows reports whether the rule allows importing path, by depguard's matching: an entry ending
// in $ is exact, any other is a prefix.
func allows(r rule, path string) bool {
	for _, e := range r.allow {
		if exact, ok := strings.CutSuffix(e.path, "$"); ok {
			if path == exact {
				return true
			}
		} else if strings.HasPrefix(path, e.path) {
			return true
		}
	}
	return false
}

var dirGlob = regexp.MustCompile(`^\$\{config-path\}/(?:(.+)/)?\*\.go$`)

// packageDir is the directory a package rule covers: its first files pattern names it.
func packageDir(r rule) (string, bool) {
	if len(r.files) == 0 {
		return "", false
	}
	m := dirGlob.FindStringSubmatch(r.files[0])
	if m == nil {
		return "", false
	}
	if m[1] == "" {
		return ".", true
	}
	return m[1], true
}

func importPath(dir string) string {
	if dir == "." {
		return module
	}
	return module + "/" + dir
}

// packageDirs lists the directories holding Go files, as the go command sees packages.
func packageDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") {
			dir := filepath.ToSlash(filepath.Dir(path))
			if len(dirs) == 0 || dirs[len(dirs)-1] != dir {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	sort.Strings(dirs)
	return slices.Compact(dirs), err
}

// packageDoc returns the package doc comment of the non-test files in dir.
func packageDoc(dir string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return "", err
	}
	var docs []string
	for _, path := range matches {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return "", err
		}
		if f.Doc != nil {
			docs = append(docs, f.Doc.Text())
		}
	}
	if len(docs) != 1 {
		return "", fmt.Errorf("found %d package doc comments in its non-test files, want one", len(docs))
	}
	return docs[0], nil
}

// readRules reads the depguard rules of the configuration: the block under
// linters.settings.depguard.rules, in the fixed layout described at the top of the file.
func readRules(path string) ([]rule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	const (
		depguardIndent = 4  // "depguard:"
		rulesIndent    = 6  // "rules:"
		nameIndent     = 8  // "<name>:"
		fieldIndent    = 10 // "list-mode:", "files:", "allow:"
		itemIndent     = 12 // "- <path>  # words"
	)
	var (
		rules      []rule
		inDepguard bool
		inRules    bool
		inAllow    bool
		n          int
	)
	fail := func(format string, args ...any) ([]rule, error) {
		return nil, fmt.Errorf("%s:%d: %s", path, n, fmt.Sprintf(format, args...))
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		content := strings.TrimSpace(line)
		if content == "" || strings.HasPrefix(content, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if !inRules {
			if indent == depguardIndent {
				inDepguard = content == "depguard:"
			}
			inRules = inDepguard && indent == rulesIndent && content == "rules:"
			continue
		}
		if indent < nameIndent {
			break // the end of the rules block
		}
		switch indent {
		case nameIndent:
			name, ok := strings.CutSuffix(content, ":")
			if !ok || strings.ContainsAny(name, " :") {
				return fail("want a rule name, got %q", content)
			}
			rules = append(rules, rule{name: name, line: n})
			inAllow = false
			continue
		case fieldIndent:
			if len(rules) == 0 {
				return fail("a field outside a rule: %q", content)
			}
			r := &rules[len(rules)-1]
			key, value, _ := strings.Cut(content, ":")
			value = strings.TrimSpace(value)
			inAllow = false
			switch key {
			case "list-mode":
				if value != "strict" {
					return fail("rule %q: list-mode %q, want strict", r.name, value)
				}
			case "files":
				files, err := flowList(value)
				if err != nil {
					return fail("rule %q: %v", r.name, err)
				}
				r.files = files
			case "allow":
				if value != "" {
					return fail("rule %q: write allow as a block list, one entry per line", r.name)
				}
				inAllow = true
			default:
				return fail("rule %q: the doc check does not know the field %q", r.name, key)
			}
			continue
		case itemIndent:
			item, ok := strings.CutPrefix(content, "- ")
			if !inAllow || !ok {
				return fail("an unexpected line: %q", content)
			}
			p, words, _ := strings.Cut(item, "#")
			r := &rules[len(rules)-1]
			r.allow = append(r.allow, entry{path: strings.TrimSpace(p), words: strings.TrimSpace(words), line: n})
			continue
		}
		return fail("an unexpected indentation: %q", line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, errors.New(path + ": no depguard rules found")
	}
	return rules, nil
}

// flowList parses a YAML flow sequence of double-quoted strings: ["a", "!b"].
func flowList(s string) ([]string, error) {
	inner, open := strings.CutPrefix(s, "[")
	inner, closed := strings.CutSuffix(inner, "]")
	if !open || !closed {
		return nil, fmt.Errorf("want files as a flow list like [\"a\", \"b\"], got %q", s)
	}
	var out []string
	for item := range strings.SplitSeq(inner, ",") {
		item = strings.TrimSpace(item)
		if len(item) < 2 || item[0] != '"' || item[len(item)-1] != '"' {
			return nil, fmt.Errorf("want double-quoted file patterns, got %q", item)
		}
		out = append(out, item[1:len(item)-1])
	}
	return out, nil
}
