package inputcheck

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Problem
	}{
		{"plain", `{"name":"ann","n":1,"a":[true,null]}`, ""},
		{"non-ASCII", `{"name":"Zoë 日本 😀"}`, ""},
		{"escapes", `{"a":"\n\t\"\\\/\u00e9\u20ac"}`, ""},
		{"surrogate pair", `{"a":"\ud83d\ude00"}`, ""},
		{"surrogate pair upper case", `{"a":"\uD83D\uDE00"}`, ""},
		{"escaped backslash before u0000", `{"a":"\\u0000"}`, ""},
		{"escaped backslash pairs", `{"a":"\\\\u0000"}`, ""},
		{"U+FFFD sent as is", `{"a":"\ufffd �"}`, ""},
		{"NUL escape in value", `{"name":"a\u0000b"}`, NUL},
		{"NUL escape upper case", `{"name":"\U0000"}`, ""}, // \U is not a JSON escape: invalid JSON, caught by the decoder
		{"NUL escape in key", `{"a\u0000":1}`, NUL},
		{"NUL escape nested", `{"user_metadata":{"x":[{"y":"\u0000"}]}}`, NUL},
		{"NUL escape after escaped backslash", `{"a":"\\\u0000"}`, NUL},
		{"raw NUL", "{\"a\":\"\x00\"}", NUL},
		{"raw NUL outside strings", "{\"a\":1}\x00", NUL},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", InvalidUTF8},
		{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", InvalidUTF8},
		{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", InvalidUTF8},
		{"lone high surrogate", `{"a":"\ud800"}`, InvalidUTF8},
		{"lone high surrogate at end", `"\ud800`, InvalidUTF8},
		{"high surrogate then text", `{"a":"\ud800x"}`, InvalidUTF8},
		{"high surrogate then high", `{"a":"\ud800\ud800"}`, InvalidUTF8},
		{"high surrogate then other escape", `{"a":"\ud800\n"}`, InvalidUTF8},
		{"lone low surrogate", `{"a":"\udc00"}`, InvalidUTF8},
		{"truncated escape", `{"a":"\u00`, ""},
		{"trailing backslash", `"\`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := JSON([]byte(tt.body))
			if got := problemOf(t, err, Body); got != tt.want {
				t.Fatalf("JSON(%q) = %v, want %q", tt.body, err, tt.want)
			}
		})
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		part      Part
		param     string
		want      Problem
	}{
		{"plain", "/api/v2/users/auth0%7C1?q=email%3A%22a%40b%22&page=0", "", "", ""},
		{"non-ASCII escaped", "/api/v2/users/%C3%A9?name=%E6%97%A5", "", "", ""},
		{"plus and empty values", "/x?a=&b&c=d+e&&", "", "", ""},
		{"bad escape is dropped, not judged", "/x?a=%zz&b=1", "", "", ""},
		{"NUL in path", "/api/v2/users/a%00b", Path, "", NUL},
		{"invalid UTF-8 in path", "/api/v2/users/%ff", Path, "", InvalidUTF8},
		{"NUL in query value", "/api/v2/users?q=%00", Query, "q", NUL},
		{"NUL in query name", "/api/v2/users?a%00=1", Query, "", NUL},
		{"invalid UTF-8 in query value", "/api/v2/users?q=%C3", Query, "q", InvalidUTF8},
		{"raw invalid UTF-8 in query", "/x?q=\xff", Query, "", InvalidUTF8},
		{"NUL after a bad pair", "/x?a=%zz&b=%00", Query, "b", NUL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.ParseRequestURI(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			err = URL(u)
			if got := problemOf(t, err, tt.part); got != tt.want {
				t.Fatalf("URL(%q) = %v, want %q", tt.raw, err, tt.want)
			}
			var e *Error
			if errors.As(err, &e) && e.Name != tt.param {
				t.Fatalf("URL(%q) names %q, want %q", tt.raw, e.Name, tt.param)
			}
			if err != nil && strings.ContainsRune(err.Error(), 0) {
				t.Fatalf("message quotes the NUL: %q", err.Error())
			}
		})
	}
}

func TestForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body  string
		field string
		want  Problem
	}{
		{"grant_type=client_credentials&audience=https%3A%2F%2Fapi%2F", "", ""},
		{"audience=a%00", "audience", NUL},
		{"client_id=%ff", "client_id", InvalidUTF8},
		{"x%00=1", "", NUL},
		{"a=\xff", "", InvalidUTF8},
	}
	for _, tt := range tests {
		err := Form([]byte(tt.body))
		if got := problemOf(t, err, Body); got != tt.want {
			t.Errorf("Form(%q) = %v, want %q", tt.body, err, tt.want)
		}
		var e *Error
		if errors.As(err, &e) && e.Name != tt.field {
			t.Errorf("Form(%q) names %q, want %q", tt.body, e.Name, tt.field)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  *Error
		want string
	}{
		{&Error{Part: Path, Problem: NUL}, "the path contains a NUL character"},
		{&Error{Part: Query, Name: "q", Problem: InvalidUTF8}, `query parameter "q" is not valid UTF-8`},
		{&Error{Part: Query, Problem: NUL}, "the query contains a NUL character"},
		{&Error{Part: Body, Problem: NUL}, "the body contains a NUL character"},
		{&Error{Part: Body, Name: "audience", Problem: NUL}, `form field "audience" contains a NUL character`},
		{&Error{Part: Header, Name: "Authorization", Problem: NUL}, `header "Authorization" contains a NUL character`},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", *tt.err, got, tt.want)
		}
	}
	if err := String(Header, "Authorization", "id\x00"); problemOf(t, err, Header) != NUL {
		t.Errorf("String = %v", err)
	}
}

// problemOf returns err's Problem after checking it is an *Error of part.
func problemOf(t *testing.T, err error, part Part) Problem {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if e.Part != part {
		t.Fatalf("error %v is in %q, want %q", err, e.Part, part)
	}
	return e.Problem
}

// walkStrings calls fn with every string and property name in v.
func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case map[string]any:
		for k, e := range x {
			fn(k)
			walkStrings(e, fn)
		}
	}
}

// FuzzJSON checks JSON against what encoding/json makes of the same bytes:
// a body it accepts decodes with no NUL and no U+FFFD that the body did not
// spell out, and a body that decodes to a NUL is refused.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":"b"}`, `{"a":"\u0000"}`, `{"\u0000":1}`, `["\ud800"]`, `"\udc00"`, `"\ud83d\ude00"`,
		`"\\u0000"`, `{"m":{"k":["\u0041",{"x":"\ud800\u0041"}]}}`, "\"\xff\"", "\"\x00\"", `"\ufffd"`,
		`{"a":"\\\u0000"}`, `"\uD800\uDC00"`, `1`, `null`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := JSON(b)
		if err != nil {
			problemOf(t, err, Body)
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		var hasNUL, hasFFFD bool
		walkStrings(v, func(s string) {
			hasNUL = hasNUL || strings.IndexByte(s, 0) >= 0
			hasFFFD = hasFFFD || strings.ContainsRune(s, utf8.RuneError)
		})
		if hasNUL && err == nil {
			t.Fatalf("JSON(%q) accepted a body that decodes to a NUL", b)
		}
		spelled := strings.ContainsRune(string(b), utf8.RuneError) || strings.Contains(strings.ToLower(string(b)), `\ufffd`)
		if err == nil && hasFFFD && !spelled {
			t.Fatalf("JSON(%q) accepted a body whose decoding replaced bad text with U+FFFD", b)
		}
		if !utf8.Valid(b) && err == nil {
			t.Fatalf("JSON(%q) accepted invalid UTF-8", b)
		}
	})
}

// FuzzURL checks that a URL URL accepts has a clean path and clean query
// names and values as net/url decodes them.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"/a/b?c=d", "/a%00", "/a?b=%00", "/%ff", "/?%00=1", "/?a=%zz&b=%00", "/a;b?c=d;e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return
		}
		if URL(u) != nil {
			return
		}
		if problem(u.Path) != "" {
			t.Fatalf("URL accepted path %q", u.Path)
		}
		q, _ := url.ParseQuery(u.RawQuery)
		for k, vs := range q {
			if problem(k) != "" {
				t.Fatalf("URL accepted query name %q", k)
			}
			for _, v := range vs {
				if problem(v) != "" {
					t.Fatalf("URL accepted query value %q", v)
				}
			}
		}
	})
}

// FuzzForm checks that a body Form accepts decodes to clean names and
// values.
func FuzzForm(f *testing.F) {
	for _, s := range []string{"a=b&c=d", "a=%00", "%00=b", "a=%ff", "a=%zz&b=%00", "a=b;c"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if Form(b) != nil {
			return
		}
		q, _ := url.ParseQuery(string(b))
		for k, vs := range q {
			if problem(k) != "" {
				t.Fatalf("Form accepted field name %q", k)
			}
			for _, v := range vs {
				if problem(v) != "" {
					t.Fatalf("Form accepted value %q", v)
				}
			}
		}
	})
}

func TestRequest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, target string
		header       http.Header
		part         Part
		want         Problem
	}{
		{"clean", "/a?b=c", http.Header{"User-Agent": {"node-auth0/4.0 é"}, "Accept-Language": {"fr-CA"}}, "", ""},
		{"query", "/a?b=%00", nil, Query, NUL},
		{"user agent", "/a", http.Header{"User-Agent": {"x\xff"}}, Header, InvalidUTF8},
		{"accept language, second value", "/a", http.Header{"Accept-Language": {"en", "\xc3"}}, Header, InvalidUTF8},
		{"other headers are not judged", "/a", http.Header{"X-Custom": {"\xff"}}, "", ""},
	} {
		r := httptest.NewRequest("GET", tt.target, nil)
		for k, vs := range tt.header {
			r.Header[k] = vs
		}
		if got := problemOf(t, Request(r), tt.part); got != tt.want {
			t.Errorf("%s: %v, want %q", tt.name, Request(r), tt.want)
		}
	}
}
