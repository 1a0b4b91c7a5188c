package oauth

import (
	"encoding/base64"
	"strings"
	"testing"
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
		if req.AuthMethod == authNone && req.ClientSecret != "" {
			t.Fatal("secret present but auth method none")
		}
		if req.AuthMethod == authBasic && !strings.HasPrefix(strings.ToLower(auth), "basic ") {
			t.Fatal("basic auth without a Basic header")
		}
	})
}
