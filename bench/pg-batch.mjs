// The two ways a batch of sends is stored on PostgreSQL, side by side on one schema, in-process
// (no network, no gateway): the server-side function sotto_send_batch (one round trip), its earlier
// form send_batch (migrations 10 and 11, kept for nodes of the version before; the byte strings as
// bytea[], the claim joined), and the five statements from Node in a transaction (seven round
// trips, planned for the batch's size), at
// batch sizes 1 to 256, batches one after another as the send batcher runs them. Prints, for
// each way and size, the median and the worst of the rounds: ms per batch and sends per second.
// Why the batcher uses the function up to 128 sends and the statements above (send-batcher.ts).
//
//   node bench/pg-batch.mjs [--rounds 5] [--sends 3072]   uses SOTTO_TEST_POSTGRES_URL (default 127.0.0.1:5432/test)
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DeliveryKind } from '@sotto/protocol';
import { PostgresStore } from '../packages/server/dist/storage/postgres/postgres-store.js';
import { sendBatchByFunction } from '../packages/server/dist/storage/postgres/group-writes.js';
import { sendBatchByStatements } from '../packages/server/dist/storage/postgres/send-batch-statements.js';
import { inTransaction } from '../packages/server/dist/storage/postgres/transaction.js';
import { withTestSchema } from '../packages/server/dist/storage/postgres/test-database.js';
import { fmt, median } from './lib.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, sends: { type: 'string', default: '3072' } } });
const rounds = Number(values.rounds);
const perRound = Number(values.sends);

const schema = await withTestSchema();
const store = await PostgresStore.connect(schema.url);
const pool = new pg.Pool({ connectionString: schema.url.replace(/\?.*$/, ''), options: `-c search_path=${schema.schema}`, max: 2 });
try {
  const random = (n) => crypto.getRandomValues(new Uint8Array(n));
  // 20 two-member groups, each with its own sender: a batch's sends spread over them as members' do.
  const groups = [];
  for (let i = 0; i < 20; i++) {
    const [a, b] = [{ username: `s${i}`, deviceId: 'd' }, { username: `r${i}`, deviceId: 'd' }];
    for (const device of [a, b]) await store.createAccount({ ...device, identityKey: random(32), requireInvite: false, now: Date.now() });
    const groupId = random(32);
    await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: { kind: DeliveryKind.MLS_WELCOME, sender: a, groupId, messageId: random(16), payload: random(200), epoch: 0n }, now: Date.now() });
    groups.push({ groupId, sender: a });
  }
  const batchOf = (size) => Array.from({ length: size }, (_, i) => {
    const g = groups[i % groups.length];
    return { now: Date.now(), item: { kind: DeliveryKind.MLS_MESSAGE, sender: g.sender, groupId: g.groupId, messageId: random(16), payload: random(200), epoch: 0n } };
  });
  const ways = {
    'function (0011)': (batch) => pool.query({
      name: 'send_batch_0011',
      text: 'SELECT * FROM send_batch($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::int[], $6::bytea[], $7::bigint[], $8::bigint[], $9::bigint[])',
      values: [batch.map((s) => s.item.sender.username), batch.map((s) => s.item.sender.deviceId), batch.map((s) => s.item.groupId), batch.map((s) => s.item.messageId),
        batch.map((s) => s.item.kind), batch.map((s) => s.item.payload), batch.map((s) => s.item.epoch), batch.map((s) => s.now), batch.map(() => 0)],
    }),
    function: (batch) => sendBatchByFunction(pool, batch),
    statements: (batch) => inTransaction(pool, (sql) => sendBatchByStatements(sql, batch)),
  };
  // Warm both ways' plans and connections first.
  for (const run of Object.values(ways)) for (let i = 0; i < 10; i++) await run(batchOf(8));
  console.log('| batch | way | ms per batch, median (worst) | sends/s, median (worst) |');
  console.log('|---|---|---|---|');
  for (const size of [1, 4, 8, 16, 32, 64, 128, 256]) {
    const batches = Math.max(1, Math.floor((size === 1 ? 300 : perRound) / size));
    for (const [name, run] of Object.entries(ways)) {
      const perBatch = [];
      const rates = [];
      for (let r = 0; r < rounds; r++) {
        const times = [];
        const started = performance.now();
        for (let b = 0; b < batches; b++) {
          const t = performance.now();
          await run(batchOf(size));
          times.push(performance.now() - t);
        }
        rates.push((batches * size) / ((performance.now() - started) / 1000));
        perBatch.push(median(times));
      }
      const worstMs = Math.max(...perBatch);
      const worstRate = Math.min(...rates);
      console.log(`| ${size} | ${name} | ${fmt(median(perBatch), 2)} (${fmt(worstMs, 2)}) | ${fmt(median(rates), 0)} (${fmt(worstRate, 0)}) |`);
    }
  }
} finally {
  await pool.end();
  await store.close();
  await schema.drop();
}
