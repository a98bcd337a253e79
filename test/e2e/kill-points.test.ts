/**
 * Rule 4 under crashes, on both storage backends: the server is killed with SIGKILL at several
 * points while one sender streams messages with 32 in flight (so at each kill some messages are
 * acknowledged and some are not), and restarted each time. Afterwards every message the sender
 * saw acknowledged is delivered exactly once, and the sender finally gets every one acknowledged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Member, messagesOf, onJsonLines } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { requirePostgres, TestDatabase } from '../support/services.js';

const TOTAL = 1200;
/** Acknowledgement counts at which the server is killed: early, middle, late in the stream. */
const KILL_POINTS = [60, 420, 860];

const postgres = await requirePostgres();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`kill -9 at ${KILL_POINTS.length} points of a stream (${backend})`, { skip: backend === 'postgres' ? postgres.skip : undefined }, () => {
    const dir = scratchDir(`kill-points-${backend}`);
    const alice = new Member('alice', dir.path);
    const bob = new Member('bob', dir.path);
    let server: ServerProcess;
    let db: TestDatabase | undefined;

    before(async () => {
      if (backend === 'postgres') db = await TestDatabase.create();
      server = await ServerProcess.start(join(dir.path, 'server'), db ? ['--db', db.url] : []);
      await alice.ok(['register', 'alice', '--server', server.url]);
      await bob.ok(['register', 'bob', '--server', server.url]);
      await alice.ok(['contacts', 'request', 'bob', 'hello']);
      await bob.ok(['contacts', 'accept', 'alice']);
      await alice.ok(['sync']);
    });

    after(async () => {
      await server?.stop();
      await db?.drop();
      dir.remove();
    });

    test('every acknowledged message is delivered exactly once', async () => {
      const sender = alice.spawn(['send', 'bob', '--stdin', '--window', '32']);
      const acked = new Set<string>();
      const ackedAtKill: number[] = [];
      let stderr = '';
      let restarting: Promise<void> = Promise.resolve();
      sender.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number>((resolve) => sender.on('exit', (code) => resolve(code ?? -1)));
      onJsonLines(sender.stdout!, (record) => {
        if (record.type !== 'ack' || !record.text) return;
        acked.add(record.text);
        const next = KILL_POINTS[ackedAtKill.length];
        if (next !== undefined && acked.size >= next) {
          ackedAtKill.push(acked.size);
          // Killed from inside the stream's own callback: the sender still has messages in flight.
          restarting = restarting.then(async () => {
            await server.kill9();
            await new Promise((r) => setTimeout(r, 300));
            await server.spawn();
          });
        }
      });
      sender.stdin!.end(Array.from({ length: TOTAL }, (_, i) => `stream ${i}`).join('\n') + '\n');
      const code = await exited;
      await restarting;
      assert.equal(code, 0, `sender failed: ${stderr}`);
      assert.equal(ackedAtKill.length, KILL_POINTS.length, `the server was killed ${KILL_POINTS.length} times mid-stream (at ${ackedAtKill.join(', ')} acks)`);
      assert.equal(acked.size, TOTAL, 'the sender resent what was in flight and every message was finally acknowledged');

      const received = messagesOf(await bob.ok(['sync'], { timeoutMs: 180_000 })).map((m) => m.body);
      const counts = new Map<string, number>();
      for (const body of received) counts.set(body, (counts.get(body) ?? 0) + 1);
      assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'no message is shown twice');
      assert.deepEqual([...acked].filter((text) => !counts.has(text)), [], 'every acknowledged message is delivered');
      assert.equal(received.length, TOTAL);
      assert.deepEqual(messagesOf(await bob.ok(['sync'])), [], 'a second sync shows nothing again');
    });
  });
}
