// (a) Provisioning through the Management API with auth0@7's ManagementClient: a resource server
// with scopes, a machine-to-machine client and a client grant, then a client-credentials token
// for that client through auth0@4's AuthenticationClient.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Management } from 'auth0';
import * as jose from 'jose';
import {
  managementClient, authenticationClient, ensureApi, createM2MClient, uniq, rejectsWith,
  cleanup, apiIdentifier, apiScopes, issuer, ManagementError, AuthApiError,
} from './harness.mjs';

const mgmt = managementClient();
const made = { clients: [] };

after(async () => {
  for (const id of made.clients) await cleanup(`client ${id}`, () => mgmt.clients.delete(id));
});

test('resource server with scopes is created and readable', async () => {
  const rs = await ensureApi(mgmt);
  assert.equal(rs.identifier, apiIdentifier);
  assert.ok(rs.id, 'resource server has an id');
  assert.deepEqual(rs.scopes.map((s) => s.value).sort(), [...apiScopes].sort());

  const got = await mgmt.resourceServers.get(rs.id);
  assert.equal(got.identifier, apiIdentifier);
  assert.deepEqual(got.scopes.map((s) => s.value).sort(), [...apiScopes].sort());

  // The bootstrap Management API resource server is there too.
  const identifiers = [];
  for await (const r of await mgmt.resourceServers.list({ per_page: 100 })) identifiers.push(r.identifier);
  assert.ok(identifiers.includes(apiIdentifier), `list has ${apiIdentifier}: ${identifiers}`);
  assert.ok(identifiers.includes(`${issuer}api/v2/`), `list has the Management API: ${identifiers}`);

  // Identifiers are unique.
  const err = await rejectsWith(
    mgmt.resourceServers.create({ name: 'duplicate', identifier: apiIdentifier }),
    ManagementError, 'duplicate resource server');
  assert.equal(err.statusCode, 409, JSON.stringify(err.body));
});

test('M2M client and client grant; the grant shapes the token', async () => {
  await ensureApi(mgmt);
  const { client, grant } = await createM2MClient(mgmt, uniq('e2e-m2m'));
  made.clients.push(client.client_id);
  assert.deepEqual(client.grant_types, ['client_credentials']);
  assert.equal(client.app_type, 'non_interactive');
  assert.equal(grant.client_id, client.client_id);
  assert.equal(grant.audience, apiIdentifier);
  assert.deepEqual(grant.scope, ['read:things']);
  assert.ok(grant.id, 'client grant has an id');

  const fetched = await mgmt.clients.get(client.client_id);
  assert.equal(fetched.name, client.name);

  const grants = [];
  for await (const g of await mgmt.clientGrants.list({ client_id: client.client_id })) grants.push(g);
  assert.deepEqual(grants.map((g) => g.id), [grant.id], 'clientGrants.list filtered by client_id');

  const auth = authenticationClient(client.client_id, client.client_secret);
  const { data } = await auth.oauth.clientCredentialsGrant({ audience: apiIdentifier });
  assert.equal(data.token_type, 'Bearer');
  assert.ok(data.expires_in > 0, `expires_in ${data.expires_in}`);
  const claims = jose.decodeJwt(data.access_token);
  assert.equal(claims.iss, issuer);
  assert.equal(claims.sub, `${client.client_id}@clients`);
  assert.equal(claims.aud, apiIdentifier);
  assert.equal(claims.azp, client.client_id);
  assert.equal(claims.gty, 'client-credentials');
  assert.deepEqual(claims.scope.split(' '), ['read:things'], 'only the granted scope');
});

test('client-credentials errors: wrong secret, no grant', async () => {
  await ensureApi(mgmt);
  const { client } = await createM2MClient(mgmt, uniq('e2e-m2m-err'));
  made.clients.push(client.client_id);

  const wrong = authenticationClient(client.client_id, 'not-the-secret-0123456789abcdef');
  const bad = await rejectsWith(wrong.oauth.clientCredentialsGrant({ audience: apiIdentifier }),
    AuthApiError, 'wrong client secret');
  assert.equal(bad.statusCode, 401, bad.body);
  // Auth0 itself answers a wrong secret on client_credentials with access_denied "Unauthorized";
  // invalid_client is the RFC 6749 name. Either is what SDK users see from Auth0.
  assert.ok(['access_denied', 'invalid_client'].includes(bad.error), bad.body);

  // A client without a grant for the Management API may not get a Management token.
  const ok = authenticationClient(client.client_id, client.client_secret);
  const denied = await rejectsWith(ok.oauth.clientCredentialsGrant({ audience: `${issuer}api/v2/` }),
    AuthApiError, 'audience without a client grant');
  assert.equal(denied.statusCode, 403, denied.body);
  assert.equal(denied.error, 'access_denied', denied.body);
});

test('Management API errors keep Auth0 shape', async () => {
  const err = await rejectsWith(mgmt.clients.get('no-such-client-e2e'), Management.NotFoundError, 'missing client');
  assert.equal(err.statusCode, 404);
  assert.equal(err.body.statusCode, 404, JSON.stringify(err.body));
  assert.equal(err.body.error, 'Not Found', JSON.stringify(err.body));
  assert.equal(typeof err.body.message, 'string', JSON.stringify(err.body));
});
