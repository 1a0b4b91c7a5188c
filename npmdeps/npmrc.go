package npmdeps

import (
	"regexp"
	"strings"
)

// parseNpmrc reads an .npmrc file the way npm's ini parser does: "key = value" lines, "; " and
// "# " comments, quoted values, ${VAR} and ${VAR?} substituted from env in keys and values.
// Keys inside [sections] are dropped: npm reads them as nested objects, which no setting used here
// can be. "key[] = v" arrays keep their last value, which is all a string setting would see.
func parseNpmrc(text string, env map[string]string) map[string]string {
	out := map[string]string{}
	inSection := false
	for line := range strings.FieldsFuncSeq(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == ';' || trimmed[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(trimmed, "]") {
			inSection = true
			continue
		}
		if inSection {
			continue
		}
		rawKey, rawValue, hasValue := strings.Cut(line, "=")
		key := iniUnquote(rawKey)
		key = strings.TrimSuffix(key, "[]")
		if key == "" || key == "__proto__" {
			continue
		}
		value := "true"
		if hasValue {
			value = iniUnquote(rawValue)
		}
		out[envReplace(key, env)] = envReplace(value, env)
	}
	return out
}

// iniUnquote is npm/ini's "unsafe": a value quoted with " is JSON-decoded (',' quotes are just
// stripped), otherwise an unescaped ; or # starts a comment and \; \# \\ are escapes.
func iniUnquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		if s[0] == '\'' {
			return s[1 : len(s)-1]
		}
		if v, ok := jsonString(s); ok {
			return v
		}
		return s
	}
	var b strings.Builder
	esc := false
	for _, c := range s {
		switch {
		case esc:
			if c != '\\' && c != ';' && c != '#' {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
			esc = false
		case c == ';' || c == '#':
			return strings.TrimSpace(b.String())
		case c == '\\':
			esc = true
		default:
			b.WriteRune(c)
		}
	}
	if esc {
		b.WriteByte('\\')
	}
	return strings.TrimSpace(b.String())
}

var envExpr = regexp.MustCompile(`(\\*)\$\{([^${}?]+)(\?)?\}`)

// envReplace substitutes ${NAME} from env as npm does: an unset NAME stays as written unless the
// reference is ${NAME?}, which becomes empty; an odd number of backslashes before $ escapes it.
func envReplace(s string, env map[string]string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return envExpr.ReplaceAllStringFunc(s, func(m string) string {
		sub := envExpr.FindStringSubmatch(m)
		esc, name, optional := sub[1], sub[2], sub[3] == "?"
		if len(esc)%2 == 1 {
			return esc[:(len(esc)-1)/2] + m[len(esc):]
		}
		val, ok := env[name]
		if !ok {
			if optional {
				val = ""
			} else {
				val = "${" + name + "}"
			}
		}
		return esc[:len(esc)/2] + val
	})
}
