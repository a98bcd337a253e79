/**
 * Scenarios for rule 4, "nothing acknowledged is lost":
 * - a member offline while 500 messages are sent receives all 500, in order, once;
 * - the server is killed with SIGKILL while a sender streams 2,000 messages;
 *   after restart every message the sender saw acknowledged is delivered, none twice.
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

test('kill -9 during a 2,000-message stream loses no acknowledged message and shows none twice', async () => {
  const total = 2000;
  const sender = alice.spawn(['send', 'bob', '--stdin', '--window', '32']);
  const acked = new Set<string>();
  let buffer = '';
  let killedAt = -1;
  const done = new Promise<number>((resolve) => sender.on('exit', (code) => resolve(code ?? -1)));
  let stderr = '';
  sender.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const killed = new Promise<void>((resolve) => {
    sender.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const record = JSON.parse(line) as { type: string; text?: string };
        if (record.type === 'ack' && record.text) acked.add(record.text);
        if (acked.size === 400 && killedAt < 0) {
          killedAt = acked.size;
          resolve();
        }
      }
    });
  });
  sender.stdin!.end(Array.from({ length: total }, (_, i) => `stream ${i}`).join('\n') + '\n');
  await killed;
  await server.kill9();
  await new Promise((r) => setTimeout(r, 500));
  await server.spawn();
  const code = await done;
  assert.equal(code, 0, `sender failed: ${stderr}`);
  assert.ok(killedAt >= 400, 'the server was killed mid-stream');
  const received = messagesOf(await bob.ok(['sync'], { timeoutMs: 180_000 })).map((m) => m.body);
  const counts = new Map<string, number>();
  for (const body of received) counts.set(body, (counts.get(body) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no message is shown twice');
  const lost = [...acked].filter((text) => !counts.has(text));
  assert.deepEqual(lost, [], 'every acknowledged message is delivered');
  assert.equal(acked.size, total, 'the sender resent what was in flight and every message was finally acknowledged');
  assert.equal(received.length, total);
});
