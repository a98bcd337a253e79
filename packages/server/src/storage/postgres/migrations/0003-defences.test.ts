/** @module storage/postgres/migrations/0003-defences.test Adds the defence columns and tables, and the rate limiter's table and function. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres } from './migration.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';
import { migration0003 } from './0003-defences.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

async function columns(client: pg.Client, schema: string, table: string): Promise<string[]> {
  const result = await client.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  return result.rows.map((row) => row.column_name);
}

await describeWithPostgres('postgres migration 0003', () => {
  test('0003 adds the defence columns and tables; rows from before get the defaults', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    await migratePostgres(c, s, [migration0001, migration0002]);
    await c.query(`INSERT INTO ${s}.accounts (id, username, created_at) VALUES (1, 'a', 1), (2, 'b', 1)`);
    await c.query(`INSERT INTO ${s}.contacts (owner_id, peer_id, state, updated_at) VALUES (1, 2, 1, 1)`);
    assert.deepEqual(await migratePostgres(c, s, [migration0001, migration0002, migration0003]), [3]);
    assert.deepEqual(await migratePostgres(c, s, [migration0001, migration0002, migration0003]), []);
    const account = await c.query(`SELECT restricted, lockdown, lockdown_refused FROM ${s}.accounts WHERE id = 1`);
    assert.deepEqual(account.rows, [{ restricted: false, lockdown: false, lockdown_refused: 0 }]);
    assert.deepEqual((await c.query(`SELECT via_link FROM ${s}.contacts`)).rows, [{ via_link: false }]);
    assert.deepEqual(await columns(c, s, 'anomalies'), ['reporter_username', 'reporter_device', 'sender_username', 'sender_device', 'target', 'kind', 'count', 'at']);
    assert.deepEqual(await columns(c, s, 'incidents'), ['id', 'rule', 'opened_at', 'updated_at', 'status', 'subjects', 'targets', 'evidence', 'note']);
    assert.deepEqual(await columns(c, s, 'audit_log'), ['id', 'at', 'actor', 'action', 'target', 'detail']);
    assert.deepEqual(await columns(c, s, 'contact_links'), ['account_id', 'token_hash', 'expires_at', 'created_at']);
    assert.deepEqual(await columns(c, s, 'rate_limits'), ['key', 'tat']);
    await c.query(`INSERT INTO ${s}.contact_links (account_id, token_hash, expires_at, created_at) VALUES (1, '\\x68', 2, 1)`);
    await assert.rejects(c.query(`INSERT INTO ${s}.contact_links (account_id, token_hash, expires_at, created_at) VALUES (2, '\\x68', 2, 1)`), /duplicate key/);
    await assert.rejects(c.query(`INSERT INTO ${s}.contact_links (account_id, token_hash, expires_at, created_at) VALUES (9, '\\x78', 2, 1)`), /foreign key/);
  });

  test('rate_limit_take is gcraStep over every key, all or nothing, and runs from any search_path', async () => {
    const s = made!.schema;
    const take = async (keys: string[], intervals: number[], bursts: number[], now: number): Promise<number> =>
      (await c!.query<{ wait: number }>(`SELECT ${s}.rate_limit_take($1, $2, $3, $4) AS wait`, [keys, intervals, bursts, now])).rows[0]!.wait;
    // One a second with a burst of 2.
    assert.equal(await take(['k'], [1000], [2], 0), 0);
    assert.equal(await take(['k'], [1000], [2], 0), 0);
    assert.equal(await take(['k'], [1000], [2], 0), 1000);
    assert.equal(await take(['k'], [1000], [2], 250), 750);
    // A refusal by 'k' leaves 'j' untouched: its row, if any, holds a full bucket.
    assert.equal(await take(['j', 'k'], [1000, 1000], [1, 2], 500), 500);
    assert.equal(await take(['j'], [1000], [1], 500), 0);
    const tats = await c!.query<{ key: string; tat: number }>(`SELECT key, tat FROM ${s}.rate_limits ORDER BY key`);
    assert.deepEqual(tats.rows, [{ key: 'j', tat: 1500 }, { key: 'k', tat: 2000 }]);
    // Noise from 1000/3 is not a wait.
    const third = 1000 / 3;
    for (let i = 0; i < 9; i += 1) assert.equal(await take(['t'], [third], [1], i * third), 0);
  });
});
