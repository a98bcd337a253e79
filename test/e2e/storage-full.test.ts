/**
 * Scenario (issue 15, hole 10): the server cannot store. A real `sotto serve` process whose
 * database refuses every new mailbox row, as a full disk refuses them, answers each send with
 * INTERNAL ("Storage is unavailable; nothing was changed."). The real `sotto send` must say
 * what is happening on stderr (a warn-level log line and a human line per retry), give up
 * after its bound with a non-zero exit and a stable code, and keep the message in the outbox;
 * once the server can store again, the next `sotto sync` sends it and the peer sees it once.
 *
 * How the disk "fills": the test opens the server's SQLite database beside it (WAL allows a
 * second connection) and adds a trigger that aborts every INSERT into `mailbox`. The server
 * sees a failing write exactly as with SQLITE_FULL: the write's savepoint rolls back and the
 * sender gets INTERNAL. (A real full filesystem needs a mount, which CI's container cannot do,
 * and a file-size rlimit kills Node with SIGXFSZ.) Dropping the trigger is the operator
 * freeing space.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Member, messagesOf, runCli } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const dir = scratchDir('storage-full');
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);

/** Makes the server's database refuse new mailbox rows, and lets it store again. */
class FullDisk {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 5000');
  }

  fill(): void {
    this.db.exec(`CREATE TRIGGER test_disk_full BEFORE INSERT ON mailbox
                  BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
  }

  free(): void {
    this.db.exec('DROP TRIGGER IF EXISTS test_disk_full');
  }

  close(): void {
    this.db.close();
  }
}

let disk: FullDisk;

/** What a profile's outbox holds, read from its database between CLI runs: bodies and statuses. */
function outboxOf(member: Member): { body: string; status: string }[] {
  const db = new Database(join(member.profile, 'client.db'), { readonly: true });
  try {
    return db.prepare('SELECT m.body, m.status FROM outbox o JOIN messages m ON m.message_id = o.message_id ORDER BY o.position').all() as { body: string; status: string }[];
  } finally {
    db.close();
  }
}

before(async () => {
  const dataDir = join(dir.path, 'server');
  server = await ServerProcess.start(dataDir);
  disk = new FullDisk(join(dataDir, 'sotto.db'));
  for (const m of [alice, bob]) await m.ok(['register', m.name, '--server', server.url]);
  await alice.ok(['contacts', 'request', 'bob', 'hi bob']);
  await bob.ok(['contacts', 'accept', 'alice']);
  await alice.ok(['send', 'bob', 'before the disk filled']);
  assert.deepEqual(messagesOf(await bob.ok(['sync'])).map((m) => m.body), ['before the disk filled']);
  await alice.ok(['sync']); // bob's receipts: nothing of alice's is left waiting
});

after(async () => {
  disk?.close();
  await server?.stop();
  dir.remove();
});

test('sotto send says the server cannot store, gives up within its bound, and the message goes out once after recovery', async () => {
  disk.fill();
  const startedAt = performance.now();
  // Human output (no --json): what a person at the terminal sees. Without a bound this hangs
  // until runCli's own limit kills it.
  const sent = await runCli(['--profile', alice.profile, 'send', 'bob', 'while the disk is full'], { timeoutMs: 45_000 });
  const elapsedMs = performance.now() - startedAt;
  console.log(`sotto send gave up after ${(elapsedMs / 1000).toFixed(1)} s with exit ${sent.code}\n${sent.stderr}`);

  assert.notEqual(sent.code, 0, 'a send the server did not store is not a success');
  assert.equal(sent.stdout, '', 'nothing claims the message was sent');
  const lines = sent.stderr.trim().split('\n');
  const retries = lines.filter((l) => /^The server cannot store messages right now; retrying in .+ \(attempt \d+ of \d+\)/.test(l));
  assert.ok(retries.length >= 2, `a human line for each retry on stderr:\n${sent.stderr}`);
  const warnings = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; message: string; reason?: string });
  assert.ok(warnings.some((w) => w.level === 'warn' && w.reason === 'server-failed'), `a warn-level log line says why:\n${sent.stderr}`);
  assert.match(lines.at(-1) ?? '', /^error: .*kept.*\(SERVER_UNAVAILABLE\)$/, 'the last line is the error, with its stable code');

  // The message waits in alice's outbox, and the server stored none of it: bob gets nothing.
  assert.deepEqual(outboxOf(alice), [{ body: 'while the disk is full', status: 'pending' }], 'kept in the outbox once, as pending');
  assert.deepEqual(messagesOf(await bob.ok(['sync'])), []);

  disk.free();
  await alice.ok(['sync']); // connecting sends the outbox
  assert.deepEqual(outboxOf(alice), [], 'the server stored it');
  const atBob = messagesOf(await bob.ok(['sync']));
  assert.deepEqual(atBob.map((m) => [m.sender, m.body]), [['alice', 'while the disk is full']]);
  assert.deepEqual(messagesOf(await bob.ok(['sync'])), [], 'shown once, not again');
});
