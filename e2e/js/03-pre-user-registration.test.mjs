// (c) A pre-user-registration hook adds metadata (one value from a hook secret) to users who sign
// up with auth0@4's AuthenticationClient (database.signUp); the stored user is read back with
// auth0@7's ManagementClient (users.list, users.get). The same hook denies some signups.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Management } from 'auth0';
import {
  managementClient, authenticationClient, uniq, rejectsWith, cleanup, connection, AuthApiError,
} from './harness.mjs';

const mgmt = managementClient();
const plan = uniq('plan');
const password = `E2e!${uniq('Passw0rd')}xX9`;
const made = { hook: null, client: null, users: [] };

const script = `module.exports = function (user, context, cb) {
  if (user.email.startsWith('blocked-')) {
    return cb(new PreUserRegistrationError('e2e denied ' + user.email, 'Signups from this address are closed.'));
  }
  const response = { user: {
    user_metadata: Object.assign({}, user.user_metadata, { plan: context.webtask.secrets.PLAN, hooked: true }),
    app_metadata: { tier: 'gold', via: context.connection.name },
  } };
  cb(null, response);
};`;

before(async () => {
  const client = await mgmt.clients.create({
    name: uniq('e2e-signup'),
    app_type: 'regular_web',
    grant_types: ['password', 'http://auth0.com/oauth/grant-type/password-realm'],
    token_endpoint_auth_method: 'client_secret_post',
  });
  made.client = client;
  const hook = await mgmt.hooks.create({ name: uniq('e2e-pur'), script, triggerId: 'pre-user-registration', enabled: true });
  made.hook = hook;
  await mgmt.hooks.secrets.create(hook.id, { PLAN: plan });
  assert.equal((await mgmt.hooks.get(hook.id)).enabled, true, 'the pre-user-registration hook is enabled');
});

after(async () => {
  for (const id of made.users) await cleanup(`user ${id}`, () => mgmt.users.delete(id));
  if (made.hook) await cleanup('hook', () => mgmt.hooks.delete(made.hook.id));
  if (made.client) await cleanup('client', () => mgmt.clients.delete(made.client.client_id));
});

async function findUserByEmail(email) {
  const found = [];
  for await (const u of await mgmt.users.list({ per_page: 100 })) {
    if (u.email === email) found.push(u);
  }
  return found;
}

test('signup runs the hook; metadata lands on the stored user', async () => {
  const email = `${uniq('signup')}@e2e.test`;
  const auth = authenticationClient(made.client.client_id, made.client.client_secret);
  const { data } = await auth.database.signUp({ email, password, connection, user_metadata: { color: 'blue' } });
  assert.equal(data.email, email);
  assert.equal(data.email_verified, false);
  assert.ok(data.id, `signup answered no id: ${JSON.stringify(data)}`);
  assert.ok(!data.id.startsWith('auth0|'), `signup _id is the bare id: ${data.id}`);

  const listed = await findUserByEmail(email);
  assert.equal(listed.length, 1, `users.list finds ${listed.length} users with ${email}`);
  const userId = listed[0].user_id;
  made.users.push(userId);
  assert.equal(userId, `auth0|${data.id}`);

  const user = await mgmt.users.get(userId);
  assert.equal(user.email, email);
  assert.deepEqual(user.user_metadata, { color: 'blue', plan, hooked: true });
  assert.deepEqual(user.app_metadata, { tier: 'gold', via: connection });
  assert.equal(user.identities?.[0]?.connection, connection, JSON.stringify(user.identities));
  assert.equal(user.identities?.[0]?.provider, 'auth0', JSON.stringify(user.identities));
  assert.ok(!('password' in user), 'a user never carries a password');

  // The same through include_totals' object form.
  const page = await mgmt.users.list({ page: 0, per_page: 100, include_totals: true });
  assert.ok(page.response.total >= 1, JSON.stringify(page.response).slice(0, 300));
  assert.ok(page.data.some((u) => u.user_id === userId), 'users.list page 0 has the new user');

  // A second signup with the same email is refused.
  const dup = await rejectsWith(auth.database.signUp({ email, password, connection }), AuthApiError, 'duplicate signup');
  assert.equal(dup.statusCode, 400, dup.body);
  assert.equal(dup.error, 'user_exists', dup.body);
});

test('the hook denies a signup with extensibility_error and no user is stored', async () => {
  const email = `blocked-${uniq('x')}@e2e.test`;
  const auth = authenticationClient(made.client.client_id, made.client.client_secret);
  const err = await rejectsWith(auth.database.signUp({ email, password, connection }), AuthApiError, 'denied signup');
  assert.equal(err.statusCode, 400, err.body);
  assert.equal(err.error, 'extensibility_error', err.body);
  assert.deepEqual(await findUserByEmail(email), [], 'a denied signup stored a user');
});

test('with the hook disabled, signup stores only what the user sent', async () => {
  await mgmt.hooks.update(made.hook.id, { enabled: false });
  try {
    const email = `blocked-${uniq('nohook')}@e2e.test`;
    const auth = authenticationClient(made.client.client_id, made.client.client_secret);
    const { data } = await auth.database.signUp({ email, password, connection, user_metadata: { color: 'red' } });
    const userId = `auth0|${data.id}`;
    made.users.push(userId);
    const user = await mgmt.users.get(userId);
    assert.deepEqual(user.user_metadata, { color: 'red' });
    assert.deepEqual(user.app_metadata ?? {}, {});
  } finally {
    await mgmt.hooks.update(made.hook.id, { enabled: true });
  }
});

test('users.get of a missing user is 404 inexistent_user', async () => {
  const err = await rejectsWith(mgmt.users.get('auth0|000000000000000000000000'), Management.NotFoundError, 'missing user');
  assert.equal(err.body.errorCode, 'inexistent_user', JSON.stringify(err.body));
});
