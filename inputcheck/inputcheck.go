// Package inputcheck holds the checks every request's text passes at the
// HTTP boundary, before a handler or the store sees it: valid UTF-8 and no
// NUL character in the path, the query, form bodies, JSON bodies and header
// values that carry credentials.
//
// JSON needs more than a look at the decoded values: encoding/json decodes
// the escape \u0000 to NUL and silently replaces invalid UTF-8 and unpaired
// surrogate escapes (\ud800) with U+FFFD, so JSON checks the raw bytes.
// PostgreSQL refuses NUL in text and jsonb, SQLite stores it: refusing it
// here keeps both backends alike and every such request a 400.
//
// It imports only the standard library.
package inputcheck

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Part names where in a request bad text was found.
type Part string

// The parts of a request inputcheck looks at.
const (
	Path   Part = "path"
	Query  Part = "query"
	Body   Part = "body"
	Header Part = "header"
)

// Problem is what is wrong with the text.
type Problem string

// The problems inputcheck reports.
const (
	NUL         Problem = "contains a NUL character"
	InvalidUTF8 Problem = "is not valid UTF-8"
)

// Error is bad text: where it is, under which name when it has one (a query
// parameter, form field or header), and what is wrong with it. Messages never
// quote the text itself.
type Error struct {
	Part    Part
	Name    string
	Problem Problem
}

func (e *Error) Error() string {
	switch {
	case e.Part == Query && e.Name != "":
		return fmt.Sprintf("query parameter %q %s", e.Name, e.Problem)
	case e.Part == Body && e.Name != "":
		return fmt.Sprintf("form field %q %s", e.Name, e.Problem)
	case e.Part == Header:
		return fmt.Sprintf("header %q %s", e.Name, e.Problem)
	}
	return fmt.Sprintf("the %s %s", e.Part, e.Problem)
}

// problem reports what is wrong with s, or "".
func problem(s string) Problem {
	if !utf8.ValidString(s) {
		return InvalidUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return NUL
	}
	return ""
}

// String checks one value found in part under name.
func String(part Part, name, s string) error {
	if p := problem(s); p != "" {
		return &Error{Part: part, Name: name, Problem: p}
	}
	return nil
}

// storedHeaders are the request headers keyhook keeps (the tenant log's
// user_agent) or hands to scripts (the request language). Go's server
// already refuses control characters in header values, not invalid UTF-8.
var storedHeaders = []string{"User-Agent", "Accept-Language"}

// Request checks what every request carries before its route reads it:
// the URL, and the header values keyhook stores or passes on.
func Request(r *http.Request) error {
	if err := URL(r.URL); err != nil {
		return err
	}
	for _, name := range storedHeaders {
		for _, v := range r.Header.Values(name) {
			if err := String(Header, name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// URL checks a request URL: the path as sent and as decoded, and every
// query parameter name and value as sent and as decoded.
func URL(u *url.URL) error {
	if p := problem(u.EscapedPath()); p != "" {
		return &Error{Part: Path, Problem: p}
	}
	if p := problem(u.Path); p != "" {
		return &Error{Part: Path, Problem: p}
	}
	return pairs(Query, u.RawQuery)
}

// Form checks an application/x-www-form-urlencoded body as sent and every
// field name and value as decoded.
func Form(body []byte) error {
	return pairs(Body, string(body))
}

// pairs checks name=value pairs joined by '&'. A pair whose escapes do not
// decode is checked as sent only: url.ParseQuery drops it, so no handler
// sees its decoded form.
func pairs(part Part, raw string) error {
	if p := problem(raw); p != "" {
		return &Error{Part: part, Problem: p}
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		if p := problem(name); p != "" {
			return &Error{Part: part, Problem: p}
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		if p := problem(value); p != "" {
			return &Error{Part: part, Name: name, Problem: p}
		}
	}
	return nil
}

// JSON checks a JSON text as sent: valid UTF-8, no NUL byte, no \u0000
// escape and no unpaired surrogate escape, in any string or property name
// at any depth. It does not check that the text is valid JSON; callers
// decode it afterwards and report syntax errors themselves.
func JSON(b []byte) error {
	if !utf8.Valid(b) {
		return &Error{Part: Body, Problem: InvalidUTF8}
	}
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case 0:
			return &Error{Part: Body, Problem: NUL}
		case '\\':
			// In valid JSON a backslash only starts an escape inside a
			// string; "\\" is skipped whole so the character after it is
			// not taken for the start of another escape.
			if i+1 >= len(b) {
				return nil
			}
			if b[i+1] != 'u' {
				i++
				continue
			}
			r, ok := hex4(b, i+2)
			if !ok {
				i++
				continue
			}
			i += 5
			switch {
			case r == 0:
				return &Error{Part: Body, Problem: NUL}
			case r >= 0xDC00 && r <= 0xDFFF:
				return &Error{Part: Body, Problem: InvalidUTF8}
			case r >= 0xD800 && r <= 0xDBFF:
				low, ok := -1, false
				if i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					low, ok = hex4(b, i+3)
				}
				if !ok || low < 0xDC00 || low > 0xDFFF {
					return &Error{Part: Body, Problem: InvalidUTF8}
				}
				i += 6
			}
		}
	}
	return nil
}

// hex4 decodes the four hex digits at b[at:at+4].
func hex4(b []byte, at int) (int, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	r := 0
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
