// (d) A credentials-exchange hook adds a scope and a namespaced claim read from a hook secret to
// client-credentials tokens obtained with auth0@4's AuthenticationClient; the token is verified
// against the server's JWKS. The hook's InvalidScopeError and plain Error reach the SDK as
// invalid_scope and server_error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import {
  managementClient, authenticationClient, ensureApi, createM2MClient, uniq, rejectsWith,
  cleanup, apiIdentifier, issuer, domain, AuthApiError,
} from './harness.mjs';

const mgmt = managementClient();
const claim = 'https://e2e.test/claim';
const made = { hook: null, clients: [] };
let allow; // { client, grant } whose tokens the hook decorates
let deny; // { client, grant } the hook refuses, by client_metadata.e2e_mode
let crash; // { client, grant } the hook fails on
let jwks;

const script = `module.exports = function (client, scope, audience, context, cb) {
  const mode = client.metadata && client.metadata.e2e_mode;
  if (mode === 'deny') return cb(new InvalidScopeError('e2e: ' + client.name + ' may not have ' + scope.join(' ')));
  if (mode === 'crash') return cb(new Error('e2e: hook failed on purpose'));
  const access_token = {};
  access_token.scope = scope.concat(['hooked:e2e']);
  access_token['${claim}'] = context.webtask.secrets.CLAIM_VALUE;
  access_token['https://e2e.test/client'] = { id: client.id, audience: audience };
  access_token.not_namespaced = 'must be dropped';
  access_token['https://auth0.com/reserved'] = 'must be dropped';
  cb(null, access_token);
};`;

before(async () => {
  await ensureApi(mgmt);
  allow = await createM2MClient(mgmt, uniq('e2e-cce-allow'), { metadata: { e2e_mode: 'allow' } });
  deny = await createM2MClient(mgmt, uniq('e2e-cce-deny'), { metadata: { e2e_mode: 'deny' } });
  // A client of its own for each mode: the token endpoint may cache clients briefly, so
  // flipping one client's metadata would not reliably reach the very next exchange.
  crash = await createM2MClient(mgmt, uniq('e2e-cce-crash'), { metadata: { e2e_mode: 'crash' } });
  made.clients.push(allow.client.client_id, deny.client.client_id, crash.client.client_id);

  const hook = await mgmt.hooks.create({ name: uniq('e2e-cce'), script, triggerId: 'credentials-exchange', enabled: true });
  made.hook = hook;
  await mgmt.hooks.secrets.create(hook.id, { CLAIM_VALUE: 'first-secret-value' });

  const disco = await (await fetch(`${issuer}.well-known/openid-configuration`)).json();
  assert.equal(disco.issuer, issuer);
  assert.equal(new URL(disco.jwks_uri).host, domain, `jwks_uri ${disco.jwks_uri}`);
  jwks = jose.createRemoteJWKSet(new URL(disco.jwks_uri));
});

after(async () => {
  if (made.hook) await cleanup('hook', () => mgmt.hooks.delete(made.hook.id));
  for (const id of made.clients) await cleanup(`client ${id}`, () => mgmt.clients.delete(id));
});

async function token({ client }) {
  const auth = authenticationClient(client.client_id, client.client_secret);
  const { data } = await auth.oauth.clientCredentialsGrant({ audience: apiIdentifier });
  assert.equal(data.token_type, 'Bearer');
  const { payload, protectedHeader } = await jose.jwtVerify(data.access_token, jwks, { issuer, audience: apiIdentifier });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.ok(protectedHeader.kid, 'the token names its key');
  assert.equal(payload.sub, `${client.client_id}@clients`);
  assert.equal(payload.azp, client.client_id);
  return { data, payload };
}

test('the hook adds a scope and a namespaced claim from its secret', async () => {
  const { data, payload } = await token(allow);
  assert.deepEqual(payload.scope.split(' ').sort(), ['hooked:e2e', 'read:things']);
  if (data.scope !== undefined) assert.deepEqual(data.scope.split(' ').sort(), ['hooked:e2e', 'read:things']);
  assert.equal(payload[claim], 'first-secret-value');
  assert.deepEqual(payload['https://e2e.test/client'], { id: allow.client.client_id, audience: apiIdentifier });
  assert.equal(payload.not_namespaced, undefined, 'a non-namespaced key became a claim');
  assert.equal(payload['https://auth0.com/reserved'], undefined, 'an auth0.com-namespaced key became a claim');
  assert.equal(payload.iss, issuer);
  assert.equal(payload.gty, 'client-credentials');
  assert.ok(payload.exp > payload.iat, `exp ${payload.exp} iat ${payload.iat}`);
});

test('an updated secret reaches the next execution', async () => {
  await mgmt.hooks.secrets.update(made.hook.id, { CLAIM_VALUE: 'second-secret-value' });
  const { payload } = await token(allow);
  assert.equal(payload[claim], 'second-secret-value');
});

test('InvalidScopeError from the hook is invalid_scope for the SDK', async () => {
  const auth = authenticationClient(deny.client.client_id, deny.client.client_secret);
  const err = await rejectsWith(auth.oauth.clientCredentialsGrant({ audience: apiIdentifier }), AuthApiError, 'denied exchange');
  assert.equal(err.statusCode, 400, err.body);
  assert.equal(err.error, 'invalid_scope', err.body);
  assert.match(err.error_description, /may not have read:things/, err.body);
});

test('a plain Error from the hook is server_error', async () => {
  const auth = authenticationClient(crash.client.client_id, crash.client.client_secret);
  const err = await rejectsWith(auth.oauth.clientCredentialsGrant({ audience: apiIdentifier }), AuthApiError, 'crashing hook');
  assert.equal(err.statusCode, 500, err.body);
  assert.equal(err.error, 'server_error', err.body);
});

test('a disabled hook no longer changes tokens', async () => {
  await mgmt.hooks.update(made.hook.id, { enabled: false });
  try {
    const { payload } = await token(allow);
    assert.deepEqual(payload.scope.split(' '), ['read:things']);
    assert.equal(payload[claim], undefined);
    // The denying and failing clients are served too once the hook is off.
    await token(deny);
    await token(crash);
  } finally {
    await mgmt.hooks.update(made.hook.id, { enabled: true });
  }
});
