/**
 * Scenario: group admins from the real `sotto` CLI against a real server (issue 19). The creator
 * is the admin; `group info` marks admins; a member who is not one gets the plain NOT_GROUP_ADMIN
 * words from `group add`; once made an admin with `group admin`, the same add works.
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

const dir = scratchDir('cli-admins');
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);
const carol = new Member('carol', dir.path);

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'));
  for (const m of [alice, bob, carol]) await m.ok(['register', m.name, '--server', server.url]);
  for (const [from, to] of [[alice, bob], [bob, carol]] as const) {
    await from.ok(['contacts', 'request', to.name, 'hi']);
    await to.ok(['contacts', 'accept', from.name]);
  }
  await alice.ok(['sync']);
  await bob.ok(['sync']);
});
after(async () => {
  await server?.stop();
  dir.remove();
});

test('group info marks the admin; a member who is not one cannot add, until the admin makes them one', async () => {
  await alice.ok(['group', 'create', 'club', 'bob']);
  await bob.ok(['sync']);
  const info = (await bob.ok(['group', 'info', 'club'])).find((r) => r.type === 'group-info');
  assert.deepEqual(info?.admins, ['alice']);
  assert.deepEqual(info?.members, ['alice', 'bob']);

  const refused = await runCli(['--profile', bob.profile, 'group', 'add', 'club', 'carol']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr.trim(), "error: Only the group's admins can add or remove members, or make someone an admin. (NOT_GROUP_ADMIN)");

  await alice.ok(['group', 'admin', 'club', 'bob']);
  await bob.ok(['sync']);
  await bob.ok(['group', 'add', 'club', 'carol']);
  await carol.ok(['sync']);
  const human = await runCli(['--profile', carol.profile, 'group', 'info', 'club']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^club\t[0-9a-f]{16}\n {2}alice\tadmin\n {2}bob\tadmin\n {2}carol\n$/);
});
