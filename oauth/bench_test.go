package oauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchToken runs the whole token endpoint (parsing, client auth, store
// lookups, the trigger chain, signing, the tenant log write) in-process
// through the mux, without loopback networking.
func benchToken(b *testing.B, hook string) {
	tb := setup(b)
	if hook != "" {
		tb.addHook(b, hook, map[string]string{"SECRET": "s"})
	}
	mux := http.NewServeMux()
	tb.handler.Mount(mux)
	body := tb.m2mParams().Encode()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d %s", rec.Code, rec.Body)
			}
		}
	})
}

func BenchmarkTokenClientCredentials(b *testing.B) { benchToken(b, "") }

const benchHook = `module.exports = function (client, scope, audience, context, cb) {
  var access_token = { scope: scope };
  access_token['https://example.test/plan'] = client.metadata.plan;
  if (context.webtask.secrets.SECRET) access_token.scope.push('extra:scope');
  cb(null, access_token);
};`

func BenchmarkTokenClientCredentialsWithHook(b *testing.B) { benchToken(b, benchHook) }

// BenchmarkSignerBaseline signs a client_credentials token's claims with
// the same signer, in the same process, so the token endpoint's rate can be
// compared with the raw signing rate under the same machine load (the
// reference number is signer.BenchmarkSignRS256).
func BenchmarkSignerBaseline(b *testing.B) {
	tb := setup(b)
	claims := map[string]any{
		"iss": testIssuer, "sub": tb.m2m.ClientID + "@clients", "aud": testAudience,
		"iat": int64(1_700_000_000), "exp": int64(1_700_086_400), "scope": "read:a write:a",
		"gty": "client-credentials", "azp": tb.m2m.ClientID,
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tb.signer.Sign(claims); err != nil {
				b.Fatal(err)
			}
		}
	})
}
