// Where one send's time goes on PostgreSQL: PostgresStore.sendToGroup in-process (no network, no
// gateway), one send at a time with 4 ms between them (250/s: each batch holds one send), timing
// every statement the pg client runs. Prints the median per statement and per send. A probe that
// explains the relay figures (bench/relay.mjs), not a figure of its own.
//
//   node bench/pg-send.mjs [--sends 200]     uses SOTTO_TEST_POSTGRES_URL (default 127.0.0.1:5432/test)
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DeliveryKind } from '@sotto/protocol';
import { PostgresStore } from '../packages/server/dist/storage/postgres/postgres-store.js';
import { withTestSchema } from '../packages/server/dist/storage/postgres/test-database.js';
import { percentile } from './lib.mjs';

const { values } = parseArgs({ options: { sends: { type: 'string', default: '200' } } });
const sends = Number(values.sends);

// Every statement of every pooled client, timed from the call to its result.
const statements = new Map();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function timedQuery(config, ...rest) {
  const started = performance.now();
  const text = (typeof config === 'string' ? config : config?.text ?? '?').replace(/\s+/g, ' ').slice(0, 70);
  const result = query.call(this, config, ...rest);
  result?.then?.(() => {
    const times = statements.get(text) ?? [];
    times.push(performance.now() - started);
    statements.set(text, times);
  }, () => {});
  return result;
};

const schema = await withTestSchema();
const store = await PostgresStore.connect(schema.url);
try {
  const random = (n) => crypto.getRandomValues(new Uint8Array(n));
  const a = { username: 'bench_a', deviceId: 'd' };
  const b = { username: 'bench_b', deviceId: 'd' };
  for (const device of [a, b]) await store.createAccount({ ...device, identityKey: random(32), requireInvite: false, now: Date.now() });
  const groupId = random(32);
  const mail = (kind) => ({ kind, sender: a, groupId, messageId: random(16), payload: random(200), epoch: 0n });
  await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(DeliveryKind.MLS_WELCOME), now: Date.now() });
  statements.clear();
  const perSend = [];
  for (let i = 0; i < sends; i++) {
    const started = performance.now();
    await store.sendToGroup(mail(DeliveryKind.MLS_MESSAGE), Date.now());
    perSend.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 4));
  }
  const p50 = (xs) => percentile([...xs].sort((x, y) => x - y), 50).toFixed(3);
  for (const [text, times] of statements) console.log(`${p50(times).padStart(7)} ms  ${text}`);
  const sorted = [...perSend].sort((x, y) => x - y);
  console.log(`one send: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms (${sends} sends)`);
} finally {
  await store.close();
  await schema.drop();
}
