// (e) Attack protection as Auth0's SDKs see it: a weak password is refused at signup with
// Auth0's PasswordStrengthError; 10 wrong passwords through auth0@4's passwordGrant block the
// user from this IP (429 too_many_attempts, even with the right password); auth0@7's
// ManagementClient lists the block (userBlocks.list / listByIdentifier) and lifts it
// (userBlocks.delete), after which the right password logs in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  managementClient, authenticationClient, uniq, rejectsWith, cleanup, connection, AuthApiError,
} from './harness.mjs';

const mgmt = managementClient();
const password = `E2e!${uniq('Passw0rd')}xX9`;
const made = { client: null, users: [] };

before(async () => {
  made.client = await mgmt.clients.create({
    name: uniq('e2e-brute'),
    app_type: 'regular_web',
    grant_types: ['password', 'http://auth0.com/oauth/grant-type/password-realm'],
    token_endpoint_auth_method: 'client_secret_post',
  });
});

after(async () => {
  for (const id of made.users) await cleanup(`user ${id}`, () => mgmt.users.delete(id));
  if (made.client) await cleanup('client', () => mgmt.clients.delete(made.client.client_id));
});

test('signup refuses a weak password with PasswordStrengthError', async () => {
  const auth = authenticationClient(made.client.client_id, made.client.client_secret);
  const email = `${uniq('weak')}@e2e.test`;
  const err = await rejectsWith(auth.database.signUp({ email, password: 'hello!@#$', connection }), AuthApiError, 'weak signup');
  assert.equal(err.statusCode, 400, err.body);
  assert.equal(err.error, 'invalid_password', err.body);
  const body = JSON.parse(err.body);
  assert.equal(body.name, 'PasswordStrengthError', err.body);
  assert.equal(body.message, 'Password is too weak', err.body);
  assert.equal(body.description.verified, false, err.body);
  assert.deepEqual(body.description.rules.map((r) => [r.code, r.verified]), [['lengthAtLeast', true], ['containsAtLeast', false]], err.body);
  assert.match(body.policy, /^\* At least 8 characters in length\n\* Contain at least 3 of the following 4 types/, err.body);
});

test('10 wrong passwords block the user from this IP until the Management API unblocks it', async () => {
  const auth = authenticationClient(made.client.client_id, made.client.client_secret);
  const email = `${uniq('brute')}@e2e.test`;
  const { data } = await auth.database.signUp({ email, password, connection });
  const userId = `auth0|${data.id}`;
  made.users.push(userId);

  for (let i = 1; i <= 10; i++) {
    const err = await rejectsWith(auth.oauth.passwordGrant({ username: email, password: 'not-the-password', realm: connection }),
      AuthApiError, `wrong password ${i}`);
    if (i < 10) {
      assert.equal(err.statusCode, 403, err.body);
      assert.equal(err.error, 'invalid_grant', err.body);
    } else {
      assert.equal(err.statusCode, 429, err.body);
      assert.equal(err.error, 'too_many_attempts', err.body);
    }
  }
  const blocked = await rejectsWith(auth.oauth.passwordGrant({ username: email, password, realm: connection }),
    AuthApiError, 'right password while blocked');
  assert.equal(blocked.statusCode, 429, blocked.body);
  assert.equal(blocked.error, 'too_many_attempts', blocked.body);

  const byId = await mgmt.userBlocks.list(userId);
  assert.equal(byId.blocked_for.length, 1, JSON.stringify(byId));
  assert.equal(byId.blocked_for[0].identifier, email);
  assert.equal(byId.blocked_for[0].connection, connection);
  assert.ok(byId.blocked_for[0].ip, JSON.stringify(byId));
  assert.deepEqual(await mgmt.userBlocks.listByIdentifier({ identifier: email }), byId);

  const types = [];
  for await (const e of await mgmt.users.logs.list(userId, { per_page: 100 })) types.push(e.type);
  assert.ok(types.includes('limit_wc'), `no limit_wc entry for the user: ${JSON.stringify(types)}`);

  await mgmt.userBlocks.delete(userId);
  assert.deepEqual((await mgmt.userBlocks.list(userId)).blocked_for, []);
  const { data: tokens } = await auth.oauth.passwordGrant({ username: email, password, realm: connection });
  assert.ok(tokens.access_token, JSON.stringify(tokens));
});
