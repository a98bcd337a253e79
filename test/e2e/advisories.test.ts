/**
 * Scenario: operator security advisories through a real server and real CLI processes. The
 * operator makes a key and publishes signed advisories; a member online in `sotto listen` gets
 * each one live, a member who was offline gets it at the next connect, each is told plainly
 * whether their version must be updated. An advisory signed with another key is refused by the
 * server, and after the server's key changes, members who pinned the old key refuse what the new
 * one signs.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Member, runCli } from '../support/cli.js';
import { Listener } from '../support/listener.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const dir = scratchDir('advisories');
const data = join(dir.path, 'server');
const operatorKey = join(dir.path, 'operator.pem');
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);

const admin = (args: string[]) => runCli(['--json', 'admin', 'advisory', ...args, '--data', data]);

before(async () => {
  server = await ServerProcess.start(data);
  for (const m of [alice, bob]) await m.ok(['register', m.name, '--server', server.url]);
  const keygen = await admin(['keygen', '--key', operatorKey]);
  assert.equal(keygen.code, 0, keygen.stderr);
  // Both members pin the operator key at their next connect.
  for (const m of [alice, bob]) await m.ok(['advisories']);
});

after(async () => {
  await server?.stop();
  dir.remove();
});

test('an advisory reaches an online member live and an offline one at the next connect, saying what to do', async () => {
  const listener = new Listener(bob, []);
  try {
    await listener.ready();
    const published = await admin(['publish', '--key', operatorKey, '--title', 'Update now: call bug', '--text', 'A bug in call set-up is fixed in 9.0.0.', '--fixed-version', '9.0.0']);
    assert.equal(published.code, 0, published.stderr);
    const live = await listener.waitFor((r) => r.type === 'advisory', 'the advisory', 20_000);
    assert.equal(live.title, 'Update now: call bug');
    assert.equal(live.affectsThisVersion, true);
  } finally {
    await listener.stop();
  }
  const records = await alice.ok(['advisories']);
  assert.deepEqual(records.map((r) => [r.type, r.title, r.fixedVersion, r.affectsThisVersion]), [['advisory', 'Update now: call bug', '9.0.0', true]]);
  const human = await runCli(['--profile', alice.profile, 'advisories']);
  assert.match(human.stdout, /ACTION NEEDED: this app is 0\.1\.0; update Sotto to 9\.0\.0 or newer/);
});

test('an advisory fixed in an older version tells members they already have the fix', async () => {
  const published = await admin(['publish', '--key', operatorKey, '--title', 'Old issue', '--text', 'Fixed long ago.', '--fixed-version', '0.0.1']);
  assert.equal(published.code, 0, published.stderr);
  const records = await alice.ok(['advisories']);
  assert.deepEqual(records.map((r) => [r.title, r.affectsThisVersion]), [['Update now: call bug', true], ['Old issue', false]]);
});

test('the server refuses an advisory not signed by the operator key; bad fields get clear errors', async () => {
  const forger = join(dir.path, 'forger.pem');
  writeFileSync(forger, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const forged = await admin(['publish', '--key', forger, '--title', 'Install this', '--text', 'Trust me.']);
  assert.equal(forged.code, 1);
  assert.match(forged.stderr, /not signed by the operator key/);
  const badVersion = await admin(['publish', '--key', operatorKey, '--title', 'x', '--text', 'y', '--fixed-version', 'soon']);
  assert.equal(badVersion.code, 2, 'a malformed advisory is a usage error');
  assert.match(badVersion.stderr, /1\.2\.3/);
  const overwrite = await admin(['keygen', '--key', operatorKey]);
  assert.equal(overwrite.code, 2, 'keygen never overwrites a key file');
  assert.equal((await alice.ok(['advisories'])).length, 2);
});

test('after the server\'s key changes, members refuse what the new key signs', async () => {
  const newKey = join(dir.path, 'new-operator.pem');
  assert.equal((await admin(['keygen', '--key', newKey])).code, 0);
  assert.equal((await admin(['publish', '--key', newKey, '--title', 'Switch servers', '--text', 'Move to evil.example.'])).code, 0);
  const records = await alice.ok(['advisories']);
  assert.deepEqual(records.map((r) => [r.type, r.reason ?? r.title]), [['advisory-refused', 'KEY_CHANGED'], ['advisories', undefined]]);
});
