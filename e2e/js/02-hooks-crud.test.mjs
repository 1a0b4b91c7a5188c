// (b) Legacy Hooks through auth0@7's ManagementClient: create, list with pagination, get,
// update, delete, and the write-only secrets. Uses the post-change-password trigger so that
// nothing here changes what the token and signup scenarios see.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Management } from 'auth0';
import { managementClient, uniq, rejectsWith, cleanup, ManagementError } from './harness.mjs';

const mgmt = managementClient();
const trigger = 'post-change-password';
const script = `module.exports = function (user, context, cb) {
  console.log('password changed for', user.id, context.webtask.secrets.API_KEY ? 'with key' : 'without key');
  cb();
};`;
const created = [];

after(async () => {
  for (const id of created) {
    await cleanup(`hook ${id}`, async () => {
      try {
        await mgmt.hooks.delete(id);
      } catch (err) {
        if (err?.statusCode !== 404) throw err;
      }
    });
  }
});

async function createHook(fields) {
  const h = await mgmt.hooks.create({ script, triggerId: trigger, enabled: false, ...fields });
  created.push(h.id);
  return h;
}

async function allHooks(params) {
  const out = [];
  for await (const h of await mgmt.hooks.list({ per_page: 100, ...params })) out.push(h);
  return out;
}

test('hooks: create, get, list with pagination, update, delete', async () => {
  const base = uniq('e2e-crud');
  // No npm dependencies: resolving them would reach the registry, and tests talk to loopback only.
  const a = await createHook({ name: `${base}-a`, dependencies: {} });
  const b = await createHook({ name: `${base}-b` });
  const c = await createHook({ name: `${base}-c` });

  assert.ok(a.id, 'hook has an id');
  assert.equal(a.name, `${base}-a`);
  assert.equal(a.script, script);
  assert.equal(a.triggerId, trigger);
  assert.equal(a.enabled, false);
  assert.deepEqual(a.dependencies, {});
  assert.deepEqual(b.dependencies, {}, 'dependencies default to {}');

  const got = await mgmt.hooks.get(a.id);
  assert.deepEqual(
    { id: got.id, name: got.name, script: got.script, triggerId: got.triggerId, enabled: got.enabled, dependencies: got.dependencies },
    { id: a.id, name: a.name, script, triggerId: trigger, enabled: false, dependencies: {} });

  const narrow = await mgmt.hooks.get(a.id, { fields: 'id,name' });
  assert.equal(narrow.id, a.id);
  assert.equal(narrow.name, a.name);
  assert.equal(narrow.script, undefined, `fields=id,name still returned script: ${JSON.stringify(narrow)}`);

  // Offset pagination with include_totals: the object form {start, limit, total, hooks}.
  const first = await mgmt.hooks.list({ page: 0, per_page: 2, include_totals: true, triggerId: trigger });
  assert.equal(first.data.length, 2, JSON.stringify(first.response));
  assert.equal(first.response.start, 0, JSON.stringify(first.response));
  assert.equal(first.response.limit, 2, JSON.stringify(first.response));
  assert.ok(first.response.total >= 3, `total ${first.response.total}`);
  const second = await mgmt.hooks.list({ page: 1, per_page: 2, include_totals: true, triggerId: trigger });
  assert.equal(second.response.start, 2, JSON.stringify(second.response));
  const firstIds = first.data.map((h) => h.id);
  for (const h of second.data) assert.ok(!firstIds.includes(h.id), `page 1 repeats ${h.id} from page 0`);

  // The SDK's iterator walks every page.
  const walked = [];
  for await (const h of await mgmt.hooks.list({ per_page: 1, triggerId: trigger })) walked.push(h.id);
  for (const h of [a, b, c]) assert.ok(walked.includes(h.id), `iteration misses ${h.id}`);
  assert.equal(new Set(walked).size, walked.length, `iteration repeats hooks: ${walked}`);

  // Without include_totals the API answers a bare array.
  const bare = await mgmt.hooks.list({ include_totals: false, per_page: 100 });
  assert.ok(Array.isArray(bare.response), `include_totals=false gave ${JSON.stringify(bare.response).slice(0, 200)}`);

  // Filters.
  const other = (await allHooks({ triggerId: 'send-phone-message' })).map((h) => h.id);
  assert.ok(!other.includes(a.id), 'triggerId filter');
  const enabledOnly = await allHooks({ enabled: true });
  assert.ok(enabledOnly.every((h) => h.enabled === true), 'enabled=true filter');

  const newScript = script.replace('password changed', 'password updated');
  const upd = await mgmt.hooks.update(a.id, { name: `${base}-a2`, script: newScript });
  assert.equal(upd.id, a.id);
  assert.equal(upd.name, `${base}-a2`);
  assert.equal(upd.script, newScript);
  assert.equal(upd.triggerId, trigger);
  const after1 = await mgmt.hooks.get(a.id);
  assert.equal(after1.name, `${base}-a2`);
  assert.equal(after1.script, newScript);

  await mgmt.hooks.delete(c.id);
  const gone = await rejectsWith(mgmt.hooks.get(c.id), Management.NotFoundError, 'deleted hook');
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.body.errorCode, 'HookDoesNotExist', JSON.stringify(gone.body));
  // auth0@7 maps no 404 for hooks.delete, so it surfaces as the base ManagementError.
  const again = await rejectsWith(mgmt.hooks.delete(c.id), ManagementError, 'deleting a deleted hook');
  assert.equal(again.statusCode, 404, JSON.stringify(again.body));
  assert.ok(!(await allHooks({ triggerId: trigger })).some((h) => h.id === c.id), 'deleted hook still listed');
});

test('hooks: validation and conflicts', async () => {
  const name = uniq('e2e-valid');
  await createHook({ name });
  const dup = await rejectsWith(createHook({ name }), Management.ConflictError, 'duplicate hook name');
  assert.equal(dup.statusCode, 409);

  for (const bad of ['-leading-dash', 'trailing space ', 'under_score', '']) {
    const err = await rejectsWith(createHook({ name: bad }), Management.BadRequestError, `hook name ${JSON.stringify(bad)}`);
    assert.equal(err.body.statusCode, 400, JSON.stringify(err.body));
  }
  await rejectsWith(createHook({ name: uniq('e2e-trigger'), triggerId: 'no-such-trigger' }),
    Management.BadRequestError, 'unknown triggerId');
  await rejectsWith(createHook({ name: uniq('e2e-noscript'), script: '' }),
    Management.BadRequestError, 'empty script');
});

test('hooks: at most one enabled hook per trigger', async () => {
  const x = await createHook({ name: uniq('e2e-one-x') });
  const y = await createHook({ name: uniq('e2e-one-y') });
  await mgmt.hooks.update(x.id, { enabled: true });
  try {
    await mgmt.hooks.update(y.id, { enabled: true });
  } catch (err) {
    // Refusing the second one is one of the two acceptable answers.
    assert.ok(err instanceof Management.ConflictError || err instanceof Management.BadRequestError,
      `enabling a second hook failed with ${err?.constructor?.name} ${err?.statusCode}`);
  }
  const enabled = await allHooks({ triggerId: trigger, enabled: true });
  assert.equal(enabled.length, 1, `enabled ${trigger} hooks: ${JSON.stringify(enabled.map((h) => h.name))}`);
  await mgmt.hooks.update(x.id, { enabled: false });
  await mgmt.hooks.update(y.id, { enabled: false });
});

test('hook secrets: add, list hidden, update, delete', async () => {
  const h = await createHook({ name: uniq('e2e-secrets') });
  assert.deepEqual(await mgmt.hooks.secrets.get(h.id), {}, 'a new hook has no secrets');

  await mgmt.hooks.secrets.create(h.id, { API_KEY: 'first-value', OTHER: 'other-value' });
  assert.deepEqual(await mgmt.hooks.secrets.get(h.id), { API_KEY: '_VALUE_NOT_SHOWN_', OTHER: '_VALUE_NOT_SHOWN_' });

  // POST only adds; an existing name is a conflict.
  const dup = await rejectsWith(mgmt.hooks.secrets.create(h.id, { API_KEY: 'again' }), Management.ConflictError, 'adding an existing secret');
  assert.equal(dup.statusCode, 409);

  // PATCH only updates; an unknown name is not found.
  await mgmt.hooks.secrets.update(h.id, { API_KEY: 'second-value' });
  const unknown = await rejectsWith(mgmt.hooks.secrets.update(h.id, { NOPE: 'x' }), Management.NotFoundError, 'updating an unknown secret');
  assert.equal(unknown.statusCode, 404);
  assert.deepEqual(await mgmt.hooks.secrets.get(h.id), { API_KEY: '_VALUE_NOT_SHOWN_', OTHER: '_VALUE_NOT_SHOWN_' });

  await mgmt.hooks.secrets.delete(h.id, ['OTHER']);
  assert.deepEqual(await mgmt.hooks.secrets.get(h.id), { API_KEY: '_VALUE_NOT_SHOWN_' });

  // The hook object itself never carries secret values.
  const got = await mgmt.hooks.get(h.id);
  assert.ok(!JSON.stringify(got).includes('second-value'), `hook leaks a secret: ${JSON.stringify(got)}`);

  await rejectsWith(mgmt.hooks.secrets.get('01NOSUCHHOOK0000000000000'), Management.NotFoundError, 'secrets of a missing hook');
});
