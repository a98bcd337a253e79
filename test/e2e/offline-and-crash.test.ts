/**
 * Scenarios for rule 4, "nothing acknowledged is lost":
 * - a member offline while 500 messages are sent receives all 500, in order, once.
 * Crashes mid-stream, on SQLite and PostgreSQL, are kill-points.test.ts.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Member, messagesOf } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const dir = scratchDir('durability');
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'));
  await alice.ok(['register', 'alice', '--server', server.url]);
  await bob.ok(['register', 'bob', '--server', server.url]);
  await alice.ok(['contacts', 'request', 'bob', 'hello']);
  await bob.ok(['contacts', 'accept', 'alice']);
  await alice.ok(['sync']);
});

after(async () => {
  await server?.stop();
  dir.remove();
});

test('an offline member receives all 500 messages, in order, exactly once', async () => {
  const lines = Array.from({ length: 500 }, (_, i) => `offline message ${i}`);
  const acks = (await alice.ok(['send', 'bob', '--stdin'], { input: lines.join('\n') + '\n', timeoutMs: 120_000 })).filter((r) => r.type === 'ack');
  assert.equal(acks.length, 500);
  const received = messagesOf(await bob.ok(['sync'], { timeoutMs: 120_000 }));
  assert.deepEqual(received.map((m) => m.body), lines);
  assert.deepEqual(messagesOf(await bob.ok(['sync'])), [], 'a second sync shows nothing again');
});
