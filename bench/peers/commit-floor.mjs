// The disk's own floor for a durable 1:1 hop: one small row committed at a time in SQLite (WAL,
// synchronous=FULL: a write and an fsync per commit, as the server's commits), at a fixed rate, in
// a process of its own (bench/hop-tail.mjs runs it on the server's core, with no server running).
// Prints { p50, p99, p999, max } in ms as JSON. `node bench/peers/commit-floor.mjs RATE SECONDS`
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from '../lib.mjs';

const Database = createRequire(new URL('../../package.json', import.meta.url))('better-sqlite3');

export async function commitFloor({ rate, seconds }) {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-floor-'));
  const db = new Database(join(dir, 'floor.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // A table like the mailbox's: a row of 200 bytes of payload with a time-ordered key.
    db.exec('CREATE TABLE entries (seq INTEGER PRIMARY KEY AUTOINCREMENT, id BLOB NOT NULL UNIQUE, payload BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO entries (id, payload) VALUES (?, ?)');
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const total = Math.round(rate * seconds);
    const durations = new Float64Array(total);
    for (let i = 0; i < total; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
      const id = Buffer.alloc(16);
      id.writeBigUInt64BE(process.hrtime.bigint());
      begin.run();
      insert.run(id, randomBytes(200));
      const start = performance.now();
      commit.run();
      durations[i] = performance.now() - start;
    }
    durations.sort();
    return { commits: total, p50: percentile(durations, 50), p99: percentile(durations, 99), p999: percentile(durations, 99.9), max: durations[total - 1] };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await commitFloor({ rate: Number(process.argv[2]), seconds: Number(process.argv[3]) })));
}
