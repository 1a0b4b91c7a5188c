package oauth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keyhook/keyhook/inputcheck"
	"github.com/keyhook/keyhook/reqlog"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func TestParseTokenRequest(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		contentType string
		auth        string
		body        string
		want        tokenRequest
		wantCode    string
		wantStatus  int
	}{
		{
			name: "form post", contentType: form,
			body: "grant_type=client_credentials&client_id=abc&client_secret=s3cr%2Bt&audience=https%3A%2F%2Fapi%2F&scope=read%20write",
			want: tokenRequest{GrantType: "client_credentials", ClientID: "abc", ClientSecret: "s3cr+t", AuthMethod: authPost,
				Audience: "https://api/", Scope: "read write", HasScope: true},
		},
		{
			name: "form with charset and no secret", contentType: form + "; charset=UTF-8",
			body: "grant_type=password&client_id=abc&username=u%40x.test&password=pw&realm=DB",
			want: tokenRequest{GrantType: "password", ClientID: "abc", Username: "u@x.test", Password: "pw", Realm: "DB"},
		},
		{
			name: "missing content type is a form", body: "grant_type=client_credentials&client_id=a",
			want: tokenRequest{GrantType: "client_credentials", ClientID: "a"},
		},
		{
			name: "json", contentType: "application/json",
			body: `{"grant_type":"client_credentials","client_id":"abc","client_secret":"x","audience":"a","scope":"","extra":{"x":1},"realm":null}`,
			want: tokenRequest{GrantType: "client_credentials", ClientID: "abc", ClientSecret: "x", AuthMethod: authPost, Audience: "a", HasScope: true},
		},
		{
			name: "basic", contentType: form, auth: basic("id%3A1", "p%40ss"),
			body: "grant_type=client_credentials&audience=a",
			want: tokenRequest{GrantType: "client_credentials", ClientID: "id:1", ClientSecret: "p@ss", AuthMethod: authBasic, Audience: "a"},
		},
		{
			name: "basic with matching body client_id", contentType: form, auth: basic("id", "s"),
			body: "grant_type=client_credentials&client_id=id",
			want: tokenRequest{GrantType: "client_credentials", ClientID: "id", ClientSecret: "s", AuthMethod: authBasic},
		},
		{
			name: "bearer header is not client auth", contentType: form, auth: "Bearer xyz",
			body: "grant_type=client_credentials&client_id=id",
			want: tokenRequest{GrantType: "client_credentials", ClientID: "id"},
		},
		{name: "basic and post", contentType: form, auth: basic("id", "s"), body: "grant_type=client_credentials&client_secret=s", wantCode: "invalid_request", wantStatus: 400},
		{name: "basic id mismatch", contentType: form, auth: basic("id", "s"), body: "grant_type=client_credentials&client_id=other", wantCode: "invalid_request", wantStatus: 400},
		{name: "malformed basic", contentType: form, auth: "Basic !!!", body: "grant_type=client_credentials", wantCode: "access_denied", wantStatus: 401},
		{name: "basic without colon", contentType: form, auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("abc")), body: "grant_type=x", wantCode: "access_denied", wantStatus: 401},
		{name: "missing grant type", contentType: form, body: "client_id=a", wantCode: "invalid_request", wantStatus: 400},
		{name: "repeated parameter", contentType: form, body: "grant_type=a&grant_type=b", wantCode: "invalid_request", wantStatus: 400},
		{name: "bad form", contentType: form, body: "grant_type=%zz", wantCode: "invalid_request", wantStatus: 400},
		{name: "json array", contentType: "application/json", body: `["grant_type"]`, wantCode: "invalid_request", wantStatus: 400},
		{name: "json non-string", contentType: "application/json", body: `{"grant_type":"client_credentials","scope":["a"]}`, wantCode: "invalid_request", wantStatus: 400},
		{name: "json trailing", contentType: "application/json", body: `{"grant_type":"a"}{}`, wantCode: "invalid_request", wantStatus: 400},
		{name: "other content type", contentType: "text/plain", body: "grant_type=a", wantCode: "invalid_request", wantStatus: 400},
		{name: "bad content type", contentType: "application/json; =", body: "{}", wantCode: "invalid_request", wantStatus: 400},
		{name: "form NUL", contentType: form, body: "grant_type=client_credentials&audience=a%00", wantCode: "invalid_request", wantStatus: 400},
		{name: "form NUL in an ignored field", contentType: form, body: "grant_type=client_credentials&x=%00", wantCode: "invalid_request", wantStatus: 400},
		{name: "form invalid UTF-8", contentType: form, body: "grant_type=client_credentials&client_id=%ff", wantCode: "invalid_request", wantStatus: 400},
		{name: "json NUL escape", contentType: "application/json", body: `{"grant_type":"client_credentials","audience":"\u0000"}`, wantCode: "invalid_request", wantStatus: 400},
		{name: "json NUL in a key", contentType: "application/json", body: `{"grant_type":"client_credentials","\u0000":"x"}`, wantCode: "invalid_request", wantStatus: 400},
		{name: "json lone surrogate", contentType: "application/json", body: `{"grant_type":"client_credentials","client_id":"\udc00"}`, wantCode: "invalid_request", wantStatus: 400},
		{name: "json raw invalid UTF-8", contentType: "application/json", body: "{\"grant_type\":\"\xff\"}", wantCode: "invalid_request", wantStatus: 400},
		{name: "basic NUL", contentType: form, auth: basic("id%00", "s"), body: "grant_type=client_credentials", wantCode: "invalid_request", wantStatus: 400},
		{name: "basic raw NUL", contentType: form, auth: basic("id", "s\x00"), body: "grant_type=client_credentials", wantCode: "invalid_request", wantStatus: 400},
		{name: "audience too long", contentType: form, body: "grant_type=client_credentials&audience=" + strings.Repeat("a", 601), wantCode: "invalid_request", wantStatus: 400},
		{name: "password too long", contentType: "application/json", body: `{"grant_type":"password","password":"` + strings.Repeat("é", 1025) + `"}`, wantCode: "invalid_request", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, terr := parseTokenRequest(tt.contentType, tt.auth, []byte(tt.body))
			if tt.wantCode != "" {
				if terr == nil {
					t.Fatalf("got %+v, want error %s", got, tt.wantCode)
				}
				if terr.Code != tt.wantCode || terr.Status != tt.wantStatus {
					t.Fatalf("error %d %s (%s), want %d %s", terr.Status, terr.Code, terr.Description, tt.wantStatus, tt.wantCode)
				}
				return
			}
			if terr != nil {
				t.Fatalf("unexpected error %v", terr)
			}
			if *got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

// TestTokenErrorsNotCached: every answer of the token endpoint, errors and
// other methods included, carries RFC 6749's no-store.
func TestTokenErrorsNotCached(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tt := range []struct {
		method, body string
		status       int
	}{
		{"POST", "grant_type=client_credentials&audience=%00", 400},
		{"POST", "grant_type=nope", 400},
		{"GET", "", 405},
		{"PUT", "grant_type=client_credentials", 405},
	} {
		req, _ := http.NewRequest(tt.method, b.srv.URL+"/oauth/token", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %q: %d %v", tt.method, tt.body, resp.StatusCode, resp.Header)
		}
		if tt.status == 405 && resp.Header.Get("Allow") != "POST" {
			t.Errorf("405 without Allow: POST: %v", resp.Header)
		}
	}
	n, _, err := b.db.LogList(t.Context(), storeLogsOfType(""))
	if err != nil || len(n) != 0 {
		t.Errorf("refused requests wrote %d log entries (%v)", len(n), err)
	}
}

func FuzzParseTokenRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "", "grant_type=client_credentials&client_id=a&client_secret=b&audience=c&scope=d%20e")
	f.Add("application/json", "", `{"grant_type":"password","username":"u","password":"p","realm":"r","scope":null}`)
	f.Add("application/json; charset=utf-8", basic("a", "b"), `{"grant_type":"client_credentials","client_id":"a"}`)
	f.Add("", basic("a%zz", "b+c"), "grant_type=x&grant_type=y")
	f.Add("multipart/form-data; boundary=x", "Basic Og==", "--x--")
	f.Add("application/json", "", `{"grant_type":"\ud800","client_id":1e999}`)
	f.Fuzz(func(t *testing.T, contentType, auth, body string) {
		req, terr := parseTokenRequest(contentType, auth, []byte(body))
		if (req == nil) == (terr == nil) {
			t.Fatalf("exactly one of request and error must be set: %v %v", req, terr)
		}
		if terr != nil {
			if terr.Status < 400 || terr.Status > 499 || terr.Code == "" || terr.Description == "" {
				t.Fatalf("bad error %+v", terr)
			}
			return
		}
		if req.GrantType == "" {
			t.Fatal("request without grant_type accepted")
		}
		for name, v := range map[string]string{"grant_type": req.GrantType, "client_id": req.ClientID, "client_secret": req.ClientSecret,
			"audience": req.Audience, "scope": req.Scope, "username": req.Username, "password": req.Password, "realm": req.Realm} {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || utf8.RuneCountInString(v) > stringParams[name] {
				t.Fatalf("accepted %s %q", name, v)
			}
		}
		if req.AuthMethod == authNone && req.ClientSecret != "" {
			t.Fatal("secret present but auth method none")
		}
		if req.AuthMethod == authBasic && !strings.HasPrefix(strings.ToLower(auth), "basic ") {
			t.Fatal("basic auth without a Basic header")
		}
	})
}

func TestWriteInputError(t *testing.T) {
	t.Parallel()
	h := &Handler{}
	req := httptest.NewRequest("POST", "/oauth/token?audience=%00", nil)
	rec := httptest.NewRecorder()
	if !h.WriteInputError(rec, req, inputcheck.URL(req.URL)) {
		t.Fatal("/oauth/token not claimed")
	}
	if rec.Code != 400 || rec.Header().Get("Cache-Control") != "no-store" ||
		rec.Body.String() != `{"error":"invalid_request","error_description":"Query parameter audience contains a NUL character"}` {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	req = httptest.NewRequest("GET", "/api/v2/users?q=%00", nil)
	if h.WriteInputError(httptest.NewRecorder(), req, inputcheck.URL(req.URL)) {
		t.Fatal("claimed a Management API path")
	}
}

// TestClientIDRecorded: the token endpoint tells the server's request log
// which client called.
func TestClientIDRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mux := http.NewServeMux()
	b.handler.Mount(mux)
	ctx, note := reqlog.With(t.Context())
	req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(b.m2mParams().Encode())).WithContext(ctx)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != 200 || note.ClientID() != b.m2m.ClientID {
		t.Fatalf("%d, client id %q, want %q", rec.Code, note.ClientID(), b.m2m.ClientID)
	}
}
