package mgmtapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keyhook/keyhook/jsrt"
)

var hookBodySeeds = []string{
	`{"name":"h","script":"module.exports = function (user, context, cb) { cb(); };","triggerId":"post-user-registration"}`,
	`{"name":"h2","script":"module.exports = function (c, s, a, ctx, cb) { cb(null, {}); };","triggerId":"credentials-exchange","enabled":true,"dependencies":{"lodash":"^4.17.0","@scope/pkg":"1.x"}}`,
	`{"name":"h3","script":"x","triggerId":"send-phone-message","enabled":false,"dependencies":{}}`,
	`{"name":"bad name!","script":"","triggerId":"nope"}`,
	`{"name":"h","script":"function (","triggerId":"post-change-password"}`,
	`{"enabled":"yes"}`, `{"dependencies":{"a":1}}`, `{"dependencies":[]}`, `{"triggerId":null}`,
	`{"name":"h","foo":1}`, `[]`, `null`, `"x"`, `1`, `{`, ``, `{"name":"\u0000"}`,
	`{"name":"a","script":"` + strings.Repeat("/", 200) + `","triggerId":"pre-user-registration"}`,
}

// FuzzHookBody feeds arbitrary bodies to hook create and patch: every
// answer is a success or a 4xx in the error shape, never a 5xx or a panic.
func FuzzHookBody(f *testing.F) {
	for _, s := range hookBodySeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	b := setup(f)
	target := b.must(http.StatusCreated, "POST", "/api/v2/hooks", map[string]any{
		"name": "patch-target", "script": starterPostReg, "triggerId": "post-user-registration",
	}).object(f)["id"].(string)
	f.Fuzz(func(t *testing.T, body []byte, patch bool) {
		method, path := "POST", "/api/v2/hooks"
		if patch {
			method, path = "PATCH", "/api/v2/hooks/"+target
		}
		req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+b.admin)
		rec := httptest.NewRecorder()
		b.mux.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusCreated:
		case http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge:
			if !strings.HasPrefix(rec.Body.String(), `{"statusCode":`) {
				t.Fatalf("error not in the error shape: %s", rec.Body)
			}
		default:
			t.Fatalf("%s %q: status %d: %s", method, body, rec.Code, rec.Body)
		}
	})
}

// FuzzParseHookBody checks the validator alone: it returns either a valid
// input or a 400 apiError, and a script it accepts either parses or gives
// a positioned syntax error.
func FuzzParseHookBody(f *testing.F) {
	for _, s := range hookBodySeeds {
		f.Add([]byte(s), true)
	}
	js := jsrt.New(jsrt.Options{})
	f.Cleanup(js.Close)
	f.Fuzz(func(t *testing.T, body []byte, create bool) {
		in, err := parseHookBody(body, create)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.ErrorCode != "invalid_body" {
				t.Fatalf("parseHookBody(%q) = %v, want a 400 invalid_body", body, err)
			}
			return
		}
		if create && (in.Name == nil || in.Script == nil || in.TriggerID == nil) {
			t.Fatalf("create accepted without a required property: %q", body)
		}
		if in.Script != nil {
			if err := js.CheckScript(*in.Script); err != nil {
				var se *jsrt.SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("CheckScript(%q) = %v, want nil or *jsrt.SyntaxError", *in.Script, err)
				}
			}
		}
	})
}
