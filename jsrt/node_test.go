package jsrt

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook/jsrt/nodelib"
)

// runJS runs body as the body of an async hook and returns the JSON of
// what it returns.
func runJS(t *testing.T, e *Engine, body string, args ...any) string {
	t.Helper()
	script := "module.exports = async function (a, cb) {\n  const v = await (async () => {\n" + body + "\n  })();\n  cb(null, JSON.stringify(v));\n};"
	if len(args) == 0 {
		args = []any{map[string]any{}}
	}
	res := e.RunHook(context.Background(), HookCall{Script: script, Args: args, Timeout: 10 * time.Second})
	if res.Err != nil {
		t.Fatalf("%s\nlogs: %s\ncode: %s", errString(res.Err), res.Logs, body)
	}
	s, _ := res.Value.(string)
	return s
}

type nodeCase struct {
	name, body, want string
}

func runNodeCases(t *testing.T, e *Engine, cases []nodeCase, args ...any) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := runJS(t, e, tc.body, args...); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestBuiltinsAreServed: every name BuiltinModules lists (what npmdeps leaves to
// the sandbox) loads, "node:" names give the same module, and nothing else
// does.
func TestBuiltinsAreServed(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{HTTPClient: http.DefaultClient})
	names, _ := json.Marshal(BuiltinModules())
	got := runJS(t, e, `const out = [];
for (const n of `+string(names)+`) {
  const m = require(n);
  if (m === null || (typeof m !== 'object' && typeof m !== 'function')) out.push(n + ' is ' + typeof m);
  if (!n.startsWith('node:') && require('node:' + n) !== m) out.push(n + ' differs from node:' + n);
}
return out;`)
	if got != "[]" {
		t.Fatal(got)
	}
	if !reflect.DeepEqual(BuiltinModules()[:2], []string{"assert", "node:assert"}) || len(BuiltinModules()) != 2*(len(hostModules)+11) {
		t.Fatalf("BuiltinModules() = %v", BuiltinModules())
	}
}

func TestNodeModules(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	runNodeCases(t, e, []nodeCase{
		{"path", `const path = require('path'); return [path.join('/a/b', '../c', 'd.js'), path.extname('x.tar.gz'), path.basename('/a/b.js', '.js'), path.resolve('x'), path.sep, path.posix === path]`,
			`["/a/c/d.js",".gz","b","/x","/",true]`},
		{"net.isIP", `const net = require('net'); return ['1.2.3.4', '01.2.3.4', '::1', 'fe80::1%eth0', '::ffff:1.2.3.4', 'example.com', ''].map((s) => net.isIP(s)).concat([net.isIPv4('1.2.3.4'), net.isIPv6('1.2.3.4')])`,
			`[4,0,6,6,6,0,0,true,false]`},
		{"net, tls and fs load and refuse", `const out = [];
for (const f of [() => require('net').connect(80), () => require('tls').connect(443), () => require('fs').readFileSync('/etc/passwd'), () => new (require('net').Socket)()]) {
  try { f(); out.push('ran'); } catch (e) { out.push(e.code + ': ' + e.message); }
}
out.push(await require('fs').promises.readFile('/etc/passwd').then(() => 'read', (e) => e.message));
return out;`,
			`["ERR_METHOD_NOT_IMPLEMENTED: net.connect is not available in the sandbox","ERR_METHOD_NOT_IMPLEMENTED: tls.connect is not available in the sandbox","ERR_METHOD_NOT_IMPLEMENTED: fs.readFileSync is not available in the sandbox","ERR_METHOD_NOT_IMPLEMENTED: net.Socket is not available in the sandbox","fs.promises.readFile is not available in the sandbox"]`},
		{"zlib round trips", `const zlib = require('zlib');
const text = 'hello '.repeat(100);
return [zlib.gunzipSync(zlib.gzipSync(text)).toString() === text, zlib.inflateSync(zlib.deflateSync(text)).toString() === text,
  zlib.inflateRawSync(zlib.deflateRawSync(text)).toString() === text, zlib.unzipSync(zlib.gzipSync('g')).toString(), zlib.unzipSync(zlib.deflateSync('d')).toString(),
  zlib.gzipSync(text).length < text.length,
  await require('util').promisify(zlib.gunzip)(zlib.gzipSync('cb')).then(String)]`,
			`[true,true,true,"g","d",true,"cb"]`},
		{"zlib stream", `const zlib = require('zlib'); const { Readable } = require('stream');
const chunks = [];
await new Promise((resolve, reject) => Readable.from([zlib.gzipSync('streamed ').subarray(0, 5), zlib.gzipSync('streamed ').subarray(5)]).pipe(zlib.createGunzip())
  .on('data', (c) => chunks.push(c)).on('end', resolve).on('error', reject));
return Buffer.concat(chunks).toString()`,
			`"streamed "`},
		{"zlib errors", `const zlib = require('zlib'); const out = [];
for (const f of [() => zlib.gunzipSync(Buffer.from('not gzip')), () => zlib.gunzipSync(Buffer.alloc(0)), () => zlib.inflateSync(Buffer.from([1, 2, 3])), () => zlib.brotliDecompressSync(Buffer.alloc(1))]) {
  try { f(); out.push('ok'); } catch (e) { out.push(e.code + ': ' + e.message); }
}
return out;`,
			`["Z_DATA_ERROR: incorrect header check","Z_BUF_ERROR: unexpected end of file","Z_DATA_ERROR: incorrect header check","ERR_METHOD_NOT_IMPLEMENTED: zlib.brotliDecompressSync is not available in the sandbox"]`},
		{"events and abort", `const out = [];
const t = new EventTarget();
const l = (e) => out.push(e.type + ':' + (e.target === t) + ':' + (e instanceof Event));
t.addEventListener('x', l); t.addEventListener('x', l); t.addEventListener('x', { handleEvent: (e) => out.push('handler') }, { once: true });
t.dispatchEvent(new Event('x')); t.dispatchEvent(new Event('x')); t.removeEventListener('x', l); t.dispatchEvent(new Event('x'));
const c = new AbortController();
c.signal.onabort = () => out.push('onabort');
c.signal.addEventListener('abort', () => out.push('listener ' + c.signal.reason.name + ' ' + c.signal.reason.code));
c.abort(); c.abort();
const any = AbortSignal.any([new AbortController().signal, AbortSignal.abort('why')]);
out.push(any.aborted, any.reason);
const timed = AbortSignal.timeout(5);
// Unref'd, the timer alone would not keep the execution waiting (as in
// Node): a referenced one does.
await new Promise((r) => { timed.addEventListener('abort', r); setTimeout(() => {}, 50); });
out.push(timed.reason.name, timed.reason instanceof DOMException, timed.reason instanceof Error);
try { c.signal.throwIfAborted(); } catch (e) { out.push(e.message); }
out.push(new CustomEvent('c', { detail: 7 }).detail, Object.prototype.toString.call(c.signal));
return out;`,
			`["x:true:true","handler","x:true:true","onabort","listener AbortError 20",true,"why","TimeoutError",true,true,"This operation was aborted",7,"[object AbortSignal]"]`},
		{"an unref'd timeout does not hold the execution", `AbortSignal.timeout(60000); return 'done'`, `"done"`},
		{"web streams", `const rs = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
const out = []; const reader = rs.getReader();
for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
return [out, require('stream/web').ReadableStream === ReadableStream]`,
			`[["a","b"],true]`},
		{"Blob", `const b = new Blob(['ab', new Uint8Array([99])], { type: 'Text/Plain' }); return [b.size, b.type, await b.text(), await b.slice(1).text()]`,
			`[3,"text/plain","abc","bc"]`},
		{"URL is WHATWG's", `const u = new URL('HTTP://EXAMPLE.com:80/a/./b/../c?x=1#h'); u.searchParams.append('y', 'a b');
let err; try { new URL('nope'); } catch (e) { err = [e.name, e.code, e.input]; }
return [u.href, u.origin, new URL('../d', 'https://a.example/x/y/z').href, err, require('url').URL === URL]`,
			`["http://example.com/a/c?x=1&y=a+b#h","http://example.com","https://a.example/x/d",["TypeError","ERR_INVALID_URL","nope"],true]`},
	})
}

func pemBlock(t *testing.T, typ string, der []byte, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// TestCryptoKeys: keys, signatures and HMAC through Go, checked against
// Go's own verification so a signature the sandbox accepts is a real one.
func TestCryptoKeys(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	rsaPriv := pemBlock(t, "PRIVATE KEY", der, err)
	rsaPKCS1 := pemBlock(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), nil)
	der, err = x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	rsaPub := pemBlock(t, "PUBLIC KEY", der, err)
	der, err = x509.MarshalECPrivateKey(ecKey)
	ecPriv := pemBlock(t, "EC PRIVATE KEY", der, err)
	der, err = x509.MarshalPKCS8PrivateKey(edPriv)
	edPrivPEM := pemBlock(t, "PRIVATE KEY", der, err)
	keys := map[string]any{"rsaPriv": rsaPriv, "rsaPKCS1": rsaPKCS1, "rsaPub": rsaPub, "ecPriv": ecPriv, "edPriv": edPrivPEM,
		"encrypted": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"}

	e := newTestEngine(t, Options{})
	got := runJS(t, e, `const crypto = require('crypto');
const k = a;
const priv = crypto.createPrivateKey(k.rsaPriv);
const pub = crypto.createPublicKey(k.rsaPriv);
const ec = crypto.createPrivateKey({ key: k.ecPriv, format: 'pem' });
const info = [priv.type, priv.asymmetricKeyType, priv.asymmetricKeyDetails.modulusLength, String(priv.asymmetricKeyDetails.publicExponent),
  pub.type, ec.asymmetricKeyDetails.namedCurve, priv instanceof crypto.KeyObject, pub.equals(crypto.createPublicKey(k.rsaPub)),
  crypto.createPublicKey(k.rsaPKCS1).equals(pub)];
const rs = crypto.createSign('RSA-SHA256').update('signed ').update('data').sign(priv, 'base64');
const ps = crypto.sign('sha256', Buffer.from('signed data'), { key: priv, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }).toString('base64');
const es = crypto.createSign('ecdsa-with-SHA256').update('signed data').sign({ key: k.ecPriv, dsaEncoding: 'ieee-p1363' }).toString('base64');
const ed = crypto.sign(null, Buffer.from('signed data'), k.edPriv).toString('base64');
const verified = [crypto.createVerify('RSA-SHA256').update('signed data').verify(k.rsaPub, rs, 'base64'),
  crypto.createVerify('RSA-SHA256').update('other data').verify(pub, rs, 'base64'),
  crypto.verify('sha256', Buffer.from('signed data'), { key: pub, padding: 6, saltLength: -2 }, Buffer.from(ps, 'base64')),
  crypto.verify('sha256', Buffer.from('signed data'), { key: ec, dsaEncoding: 'ieee-p1363' }, Buffer.from(es, 'base64')),
  crypto.verify(null, Buffer.from('signed data'), k.edPriv, Buffer.from(ed, 'base64'))];
const jwk = priv.export({ format: 'jwk' });
const back = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
const ecJwk = crypto.createPublicKey(ec).export({ format: 'jwk' });
const secret = crypto.createSecretKey('s3cret', 'utf8');
const refused = [];
for (const f of [() => crypto.createPrivateKey(k.rsaPub), () => crypto.createPrivateKey(k.encrypted), () => crypto.createPrivateKey('not a key'),
  () => crypto.createHmac('sha256', priv), () => crypto.createSign('nope')]) {
  try { f(); refused.push('accepted'); } catch (e) { refused.push(e.name); }
}
return { info, rs, ps, es, ed, verified, jwkBack: back.equals(priv), jwkKty: [jwk.kty, Object.keys(jwk).sort().join()], ecJwk: [ecJwk.kty, ecJwk.crv, 'd' in ecJwk],
  pemBack: crypto.createPrivateKey(priv.export({ format: 'pem', type: 'pkcs1' })).equals(priv),
  hmac: crypto.createHmac('sha256', secret).update('m').digest('hex'), secret: [secret.type, secret.symmetricKeySize, secret.export().toString()], refused };`, keys)
	var r struct {
		Info       []any
		RS, PS, ES string
		ED         string
		Verified   []bool
		JWKBack    bool
		JWKKty     []any
		ECJwk      []any
		PEMBack    bool
		HMAC       string
		Secret     []any
		Refused    []string
	}
	if err := json.Unmarshal([]byte(got), &r); err != nil {
		t.Fatal(err, got)
	}
	if b, _ := json.Marshal(r.Info); string(b) != `["private","rsa",2048,"65537","public","prime256v1",true,true,true]` {
		t.Errorf("info %s", b)
	}
	if b, _ := json.Marshal(r.Verified); string(b) != `[true,false,true,true,true]` {
		t.Errorf("verified %s", b)
	}
	if !r.JWKBack || !r.PEMBack || fmt.Sprint(r.JWKKty) != "[RSA d,dp,dq,e,kty,n,p,q,qi]" || fmt.Sprint(r.ECJwk) != "[EC P-256 false]" {
		t.Errorf("export and import: jwk %v %v, pem %v, ec %v", r.JWKBack, r.JWKKty, r.PEMBack, r.ECJwk)
	}
	if fmt.Sprint(r.Secret) != "[secret 6 s3cret]" {
		t.Errorf("secret %v", r.Secret)
	}
	if strings.Join(r.Refused, ",") != "Error,Error,Error,TypeError,Error" {
		t.Errorf("refusals %v", r.Refused)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte("m"))
	if r.HMAC != fmt.Sprintf("%x", mac.Sum(nil)) {
		t.Errorf("hmac %s", r.HMAC)
	}
	sum := sha256.Sum256([]byte("signed data"))
	dec := func(s string) []byte { b, _ := base64.StdEncoding.DecodeString(s); return b }
	if err := rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, sum[:], dec(r.RS)); err != nil {
		t.Errorf("RS256: %v", err)
	}
	if err := rsa.VerifyPSS(&rsaKey.PublicKey, crypto.SHA256, sum[:], dec(r.PS), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
		t.Errorf("PS256: %v", err)
	}
	if es := dec(r.ES); len(es) != 64 || !ecdsa.Verify(&ecKey.PublicKey, sum[:], new(big.Int).SetBytes(es[:32]), new(big.Int).SetBytes(es[32:])) {
		t.Errorf("ES256 (ieee-p1363) does not verify")
	}
	if !ed25519.Verify(edPub, []byte("signed data"), dec(r.ED)) {
		t.Error("Ed25519 does not verify")
	}
}

// TestFetchAPI: the fetch family as the standard has it, through the
// Options.HTTPClient.
func TestFetchAPI(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/echo", http.StatusFound)
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		default:
			body, _ := io.ReadAll(r.Body)
			w.Header().Add("Set-Cookie", "a=1")
			w.Header().Add("Set-Cookie", "b=2")
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "body": string(body), "type": r.Header.Get("Content-Type"),
				"x": r.Header.Get("X-Multi"), "ae": r.Header.Get("Accept-Encoding")})
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	e := newTestEngine(t, Options{HTTPClient: srv.Client()})
	runNodeCases(t, e, []nodeCase{
		{"request and response", `const req = new Request(a + '/echo', { method: 'post', body: new URLSearchParams({ q: 'a b' }), headers: [['X-Multi', '1'], ['x-multi', '2']] });
const res = await fetch(req);
const data = await res.clone().json();
let twice; try { await res.text(); await res.text(); } catch (e) { twice = e.name; }
return [req.method, req.headers.get('content-type'), data, res.headers.getSetCookie(), [...res.headers.keys()], res.redirected, twice, res.bodyUsed]`,
			`["POST","application/x-www-form-urlencoded;charset=UTF-8",{"ae":"gzip","body":"q=a+b","method":"POST","type":"application/x-www-form-urlencoded;charset=UTF-8","x":"1, 2"},["a=1","b=2"],["content-length","content-type","date","set-cookie","set-cookie"],false,"TypeError",true]`},
		{"redirect modes", `const follow = await fetch(a + '/redirect');
const manual = await fetch(a + '/redirect', { redirect: 'manual' });
const error = await fetch(a + '/redirect', { redirect: 'error' }).then(() => 'resolved', (e) => e.name + ': ' + e.cause.message);
return [follow.status, follow.redirected, follow.url.endsWith('/echo'), manual.status, manual.headers.get('location'), error]`,
			`[200,true,true,302,"/echo","TypeError: unexpected redirect"]`},
		{"abort", `const c = new AbortController();
const p = fetch(a + '/hang', { signal: c.signal });
setTimeout(() => c.abort(), 5);
const aborted = await p.then(() => 'resolved', (e) => e.name);
const pre = await fetch(a + '/echo', { signal: AbortSignal.abort(new Error('before')) }).then(() => 'resolved', (e) => e.message);
const timedOut = await fetch(a + '/hang', { signal: AbortSignal.timeout(5) }).then(() => 'resolved', (e) => e.name);
return [aborted, pre, timedOut]`,
			`["AbortError","before","TimeoutError"]`},
		{"constructors", `const r = Response.json({ a: 1 }, { status: 201 });
const errs = [];
for (const f of [() => new Request('/relative'), () => new Request(a, { method: 'GET', body: 'x' }), () => new Response('x', { status: 99 }), () => new Headers({ 'bad name': 'x' })]) {
  try { f(); errs.push('ok'); } catch (e) { errs.push(e.name); }
}
return [r.status, r.headers.get('content-type'), await r.json(), Response.error().type, Response.redirect('https://x.example/', 301).headers.get('location'), errs,
  Object.prototype.toString.call(new Headers()), new Request(a).url === a + '/']`,
			`[201,"application/json",{"a":1},"error","https://x.example/",["TypeError","TypeError","RangeError","TypeError"],"[object Headers]",true]`},
	}, srv.URL)
}

// TestHTTPShim: http.request and https.get as Node clients use them, sent
// through Options.HTTPClient.
func TestHTTPShim(t *testing.T) {
	t.Parallel()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/echo", http.StatusMovedPermanently)
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write([]byte("zipped"))
			_ = zw.Close()
			_, _ = w.Write(b.Bytes())
		default:
			body, _ := io.ReadAll(r.Body)
			w.Header().Add("X-Dup", "1")
			w.Header().Add("X-Dup", "2")
			w.Header().Add("Set-Cookie", "c=1")
			_ = json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "path": r.URL.RequestURI(), "body": string(body),
				"auth": r.Header.Get("Authorization"), "ae": r.Header.Get("Accept-Encoding"), "host": r.Host})
		}
	})
	plain := httptest.NewServer(handler)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(handler)
	t.Cleanup(secure.Close)
	client := secure.Client() // trusts the test certificate, dials anything
	e := newTestEngine(t, Options{HTTPClient: client})
	port := strings.TrimPrefix(plain.URL, "http://127.0.0.1:")
	runNodeCases(t, e, []nodeCase{
		{"request", `const http = require('http');
const res = await new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port: a.port, path: '/echo?x=1', method: 'POST', auth: 'u:p', headers: { 'Accept-Encoding': 'br, gzip' } }, resolve);
  req.on('error', reject);
  req.write('part one, ');
  req.end('part two');
});
let body = '';
res.setEncoding('utf8');
res.on('data', (chunk) => { body += chunk; });
await new Promise((resolve) => res.on('end', resolve));
return [res.statusCode, res.statusMessage, res.headers['x-dup'], res.headers['set-cookie'], res.rawHeaders.indexOf('X-Dup') !== -1, JSON.parse(body)]`,
			`[200,"OK","1, 2",["c=1"],true,{"ae":"gzip","auth":"Basic dTpw","body":"part one, part two","host":"127.0.0.1:` + port + `","method":"POST","path":"/echo?x=1"}]`},
		{"redirects are not followed, gzip is the caller's", `const http = require('http'); const zlib = require('zlib');
const get = (path, headers) => new Promise((resolve, reject) => http.get(a.base + path, { headers }, (res) => {
  const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => resolve([res.statusCode, res.headers.location, res.headers['content-encoding'], Buffer.concat(chunks)]));
}).on('error', reject));
const [status, location] = await get('/redirect');
const [, , encoding, zipped] = await get('/gzip', { 'accept-encoding': 'gzip' });
return [status, location, encoding, zlib.gunzipSync(zipped).toString()]`,
			`[301,"/echo","gzip","zipped"]`},
		{"https", `const https = require('https');
const res = await new Promise((resolve, reject) => https.get(a.secure + '/echo', resolve).on('error', reject));
let body = ''; res.on('data', (c) => { body += c; }); await new Promise((resolve) => res.on('end', resolve));
let wrong; try { https.request('http://127.0.0.1/'); } catch (e) { wrong = e.code; }
return [res.socket.authorized, JSON.parse(body).method, wrong, https.globalAgent instanceof https.Agent, new https.Agent() instanceof require('http').Agent]`,
			`[true,"GET","ERR_INVALID_PROTOCOL",true,true]`},
		{"errors, abort and timeout", `const http = require('http');
const refused = await new Promise((resolve) => http.get('http://127.0.0.1:1/', () => resolve('response')).on('error', (e) => resolve(e.code)));
const events = [];
await new Promise((resolve) => {
  const req = http.get(a.base + '/echo');
  req.on('abort', () => events.push('abort'));
  req.on('error', (e) => events.push('error ' + e.message));
  req.on('close', () => { events.push('close'); resolve(); });
  req.abort();
});
const timedOut = await new Promise((resolve) => {
  const req = http.request(a.base + '/echo', { method: 'POST' });
  req.setTimeout(1, () => { resolve('timeout'); req.destroy(); });
  req.on('error', () => {});
});
let bad; try { http.request({ host: '127.0.0.1', path: '/a b' }); } catch (e) { bad = e.code; }
return [refused, events, timedOut, bad]`,
			`["ECONNREFUSED",["abort","close"],"timeout","ERR_UNESCAPED_CHARACTERS"]`},
	}, map[string]any{"base": plain.URL, "secure": secure.URL, "port": port})
}

// TestZlibBomb: a small body cannot expand past the sandbox's buffer cap.
// Not parallel: the memory watchdog would charge it for its neighbours.
func TestZlibBomb(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(make([]byte, 32<<20))
	_ = zw.Close()
	// The watchdog charges the process's heap growth: let New's background
	// compilation of nodelib finish first.
	nodelib.CompileAll()
	e := newTestEngine(t, Options{MemoryLimit: 32 << 20}) // zlib output up to 4 MiB
	got := runJS(t, e, `const zlib = require('zlib'); try { zlib.gunzipSync(Buffer.from(a, 'base64')); return 'expanded'; } catch (e) { return e.code; }`,
		base64.StdEncoding.EncodeToString(b.Bytes()))
	if got != `"ERR_BUFFER_TOO_LARGE"` {
		t.Fatal(got)
	}
}

// FuzzParseKey: key material from a script never panics the host, and
// what parses has a kind.
func FuzzParseKey(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(key)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), "pem", "")
	f.Add(der, "der", "sec1")
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`), "jwk", "")
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), "pem", "")
	f.Fuzz(func(t *testing.T, data []byte, format, typ string) {
		var jwk map[string]any
		if format == "jwk" && json.Unmarshal(data, &jwk) != nil {
			return
		}
		for _, kind := range []string{"private", "public"} {
			if k, err := parseKey(kind, data, jwk, format, typ); err == nil && k.kind() != kind {
				t.Fatalf("asked for %s, got %s", kind, k.kind())
			}
		}
	})
}

// FuzzZlib: any input inflates to an error or to at most the limit.
func FuzzZlib(f *testing.F) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte("hello"))
	_ = zw.Close()
	f.Add(b.Bytes())
	f.Add([]byte{0x78, 0x9c, 0x03, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, op := range []string{"gunzip", "inflate", "inflateRaw", "unzip"} {
			if out, err := zlibConvert(op, in, -1, 1<<16); err == nil && len(out) > 1<<16 {
				t.Fatalf("%s gave %d bytes", op, len(out))
			}
		}
	})
}
