/**
 * Scenario: refusals through the real CLI and server process, each with a
 * clear code and a non-zero exit, while the server keeps serving.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Member, runCli } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const dir = scratchDir('refusals');
let server: ServerProcess;
const dataDir = () => join(dir.path, 'server');
const alice = new Member('alice', dir.path);
const eve = new Member('eve', dir.path);

function errorOf(stderr: string): { code: string; message: string } {
  return (JSON.parse(stderr.trim().split('\n').pop()!) as { error: { code: string; message: string } }).error;
}

before(async () => {
  server = await ServerProcess.start(dataDir());
  await alice.ok(['register', 'alice', '--server', server.url]);
});

after(async () => {
  await server?.stop();
  dir.remove();
});

test('a duplicate username is refused', async () => {
  const result = await new Member('alice2', dir.path).run(['register', 'alice', '--server', server.url]);
  assert.equal(result.code, 1);
  assert.equal(errorOf(result.stderr).code, 'USERNAME_TAKEN');
});

test('an invalid username is refused before anything is sent', async () => {
  const result = await new Member('x', dir.path).run(['register', 'Not Valid', '--server', server.url]);
  assert.equal(result.code, 2);
  assert.equal(errorOf(result.stderr).code, 'INVALID_INPUT');
});

test('messaging a non-contact is refused, and a claim toward a non-contact too', async () => {
  await eve.ok(['register', 'eve', '--server', server.url]);
  const result = await eve.run(['send', 'alice', 'hello?']);
  assert.equal(result.code, 1);
  assert.equal(errorOf(result.stderr).code, 'NOT_A_CONTACT');
});

test('an over-long contact request is refused with a clear error', async () => {
  const result = await eve.run(['contacts', 'request', 'alice', 'x'.repeat(281)]);
  assert.equal(result.code, 2);
  assert.match(errorOf(result.stderr).message, /280/);
});

test('a client below the minimum version is told to update, and others keep working', async () => {
  const set = await runCli(['--json', 'admin', 'min-version', '99.0.0', '--data', dataDir()]);
  assert.equal(set.code, 0, set.stderr);
  const refused = await alice.run(['sync']);
  assert.equal(refused.code, 3);
  const error = errorOf(refused.stderr);
  assert.equal(error.code, 'UPDATE_REQUIRED');
  assert.match(error.message, /99\.0\.0/);
  await runCli(['admin', 'min-version', '0.0.1', '--data', dataDir()]);
  await alice.ok(['sync']);
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
});

test('invite-only registration needs a valid code, once', async () => {
  const invited = await ServerProcess.start(join(dir.path, 'invite-server'), ['--invite-only']);
  try {
    const without = await new Member('i1', dir.path).run(['register', 'ingrid', '--server', invited.url]);
    assert.equal(errorOf(without.stderr).code, 'INVITE_REQUIRED');
    const invite = await runCli(['--json', 'admin', 'invite', '--data', join(dir.path, 'invite-server')]);
    const code = String((JSON.parse(invite.stdout) as { invite: string }).invite);
    await new Member('i2', dir.path).ok(['register', 'ingrid', '--server', invited.url, '--invite', code]);
    const again = await new Member('i3', dir.path).run(['register', 'ingmar', '--server', invited.url, '--invite', code]);
    assert.equal(errorOf(again.stderr).code, 'INVITE_REQUIRED');
  } finally {
    await invited.stop();
  }
});

test('serve with an unreachable database or NATS exits non-zero with a clear error', async () => {
  const db = await runCli(['serve', '--port', '0', '--data', join(dir.path, 'x'), '--db', 'postgres://postgres@127.0.0.1:1/nope'], { timeoutMs: 30_000 });
  assert.notEqual(db.code, 0);
  assert.match(db.stderr, /cannot reach PostgreSQL at 127\.0\.0\.1:1/);
  const bus = await runCli(['serve', '--port', '0', '--data', join(dir.path, 'y'), '--bus', 'nats://127.0.0.1:1'], { timeoutMs: 30_000 });
  assert.notEqual(bus.code, 0);
  assert.match(bus.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
});

test('an unreachable server is one clear line', async () => {
  const result = await new Member('u', dir.path).run(['register', 'nobody', '--server', 'http://127.0.0.1:9']);
  assert.equal(result.code, 1);
  assert.equal(errorOf(result.stderr).code, 'UNREACHABLE');
});
