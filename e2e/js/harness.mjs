// Shared setup for the end-to-end tests: the SDK clients pointed at a running keyhook, unique
// names, and the one resource server the scenarios share. Not a test file itself.
//
// Environment (set by e2e_test.go, or by hand against a server you started):
//   KEYHOOK_DOMAIN               host:port of keyhook's HTTPS listener, e.g. localhost:8443
//   KEYHOOK_ADMIN_CLIENT_ID      the bootstrap admin client
//   KEYHOOK_ADMIN_CLIENT_SECRET
//   NODE_EXTRA_CA_CERTS          <data-dir>/tls/ca.pem (both SDKs speak HTTPS only)

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ManagementClient, ManagementError } from 'auth0';
import { AuthenticationClient, AuthApiError } from 'auth0-v4';

export { ManagementError, AuthApiError };

function required(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: e2e/js needs KEYHOOK_DOMAIN, KEYHOOK_ADMIN_CLIENT_ID, KEYHOOK_ADMIN_CLIENT_SECRET and NODE_EXTRA_CA_CERTS`);
  }
  return v;
}

export const domain = required('KEYHOOK_DOMAIN');
export const issuer = `https://${domain}/`;
export const connection = 'Username-Password-Authentication';

// The resource server every scenario shares; created by whichever test file runs first.
export const apiIdentifier = 'https://api.e2e.test/';
export const apiScopes = ['read:things', 'write:things'];

export function managementClient() {
  return new ManagementClient({
    domain,
    clientId: required('KEYHOOK_ADMIN_CLIENT_ID'),
    clientSecret: required('KEYHOOK_ADMIN_CLIENT_SECRET'),
  });
}

export function authenticationClient(clientId, clientSecret) {
  return new AuthenticationClient({ domain, clientId, clientSecret });
}

// uniq gives names that do not collide with an earlier run against the same server.
export function uniq(prefix) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

// ensureApi returns the shared resource server, creating it if this server has none yet.
export async function ensureApi(mgmt) {
  for await (const rs of await mgmt.resourceServers.list({ per_page: 100 })) {
    if (rs.identifier === apiIdentifier) return rs;
  }
  return mgmt.resourceServers.create({
    name: 'e2e things API',
    identifier: apiIdentifier,
    signing_alg: 'RS256',
    scopes: [
      { value: 'read:things', description: 'Read things' },
      { value: 'write:things', description: 'Write things' },
    ],
  });
}

// createM2MClient makes a client-credentials client and grants it scopes on the shared API.
export async function createM2MClient(mgmt, name, { scopes = ['read:things'], metadata } = {}) {
  const client = await mgmt.clients.create({
    name,
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_post',
    ...(metadata ? { client_metadata: metadata } : {}),
  });
  assert.ok(client.client_id, 'clients.create returned no client_id');
  assert.ok(client.client_secret, 'clients.create returned no client_secret');
  const grant = await mgmt.clientGrants.create({
    client_id: client.client_id,
    audience: apiIdentifier,
    scope: scopes,
  });
  return { client, grant };
}

// rejectsWith awaits a promise that must fail and returns the error for further checks.
export async function rejectsWith(promise, ErrorClass, what) {
  try {
    const v = await promise;
    assert.fail(`${what}: expected ${ErrorClass.name}, got success: ${JSON.stringify(v)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.ok(err instanceof ErrorClass, `${what}: expected ${ErrorClass.name}, got ${err?.constructor?.name}: ${err?.stack ?? err}`);
    return err;
  }
}

// describeMgmtError makes a failed Management call readable in the test output.
export function describeError(err) {
  if (err instanceof ManagementError) {
    return `${err.constructor.name} ${err.statusCode}: ${JSON.stringify(err.body)}`;
  }
  if (err instanceof AuthApiError) {
    return `AuthApiError ${err.statusCode}: ${err.body}`;
  }
  return String(err?.stack ?? err);
}

// cleanup runs best-effort deletions after a test file; a failure here must not hide the
// test's own result, so it is only logged.
export async function cleanup(label, fn) {
  try {
    await fn();
  } catch (err) {
    console.error(`cleanup ${label}: ${describeError(err)}`);
  }
}
