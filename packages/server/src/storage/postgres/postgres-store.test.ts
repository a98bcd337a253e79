/** @module storage/postgres/postgres-store.test The storage contract against a real PostgreSQL, plus what only many nodes can break. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DeliveryKind, ErrorCode } from '@sotto/protocol';
import { ServerError, StaleEpochError, StorageUnavailableError } from '../store.js';
import { runStorageContract } from '../contracts/index.js';
import type { DeviceAddress, MailItem } from '../types.js';
import { parsePostgresUrl } from './connection.js';
import { autovacuumWarning, PostgresStore } from './postgres-store.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from './test-database.js';

const schemas: TestSchema[] = [];
after(async () => {
  for (const schema of schemas) await schema.drop();
});

async function freshSchema(): Promise<TestSchema> {
  const schema = await withTestSchema();
  schemas.push(schema);
  return schema;
}

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

test('autovacuum off, or the counts it needs off, is named with what it costs and how to turn it on; both on is no warning', () => {
  assert.equal(autovacuumWarning('on', 'on'), undefined);
  for (const setting of ['off', '']) assert.match(autovacuumWarning(setting, 'on') ?? '', /autovacuum is off.*slow down.*ALTER SYSTEM SET autovacuum = on/);
  assert.match(autovacuumWarning('on', 'off') ?? '', /track_counts is off, so autovacuum never runs.*ALTER SYSTEM SET track_counts = on/);
});

await describeWithPostgres('storage contract: postgres', () => {
  runStorageContract('postgres', async () => PostgresStore.connect((await freshSchema()).url));

  test("connecting warns of autovacuum exactly when this database's is off", async () => {
    const warnings: string[] = [];
    const store = await PostgresStore.connect((await freshSchema()).url, { onDatabaseWarning: (warning) => warnings.push(warning) });
    const client = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    try {
      await client.connect();
      const { rows } = await client.query<{ autovacuum: string; track_counts: string }>('SELECT current_setting($1) AS autovacuum, current_setting($2) AS track_counts', ['autovacuum', 'track_counts']);
      const expected = autovacuumWarning(rows[0]!.autovacuum, rows[0]!.track_counts);
      assert.deepEqual(warnings, expected === undefined ? [] : [expected]);
    } finally {
      await client.end();
      await store.close();
    }
  });

  describe('postgres: two nodes on one database', () => {
    let schema: TestSchema;
    let nodes: PostgresStore[] = [];
    let counter = 0;

    const account = async (): Promise<DeviceAddress> => {
      counter += 1;
      const device = { username: `n${counter}`, deviceId: 'd' };
      await nodes[0]!.createAccount({ ...device, identityKey: random(32), requireInvite: false, now: Date.now() });
      return device;
    };
    const mail = (sender: DeviceAddress, groupId: Uint8Array, kind = DeliveryKind.MLS_MESSAGE): MailItem => ({
      kind, sender, groupId, messageId: random(16), payload: random(50), epoch: 0n,
    });

    test('start together: migrations apply once', async () => {
      schema = await freshSchema();
      nodes = await Promise.all(Array.from({ length: 3 }, () => PostgresStore.connect(schema.url, { maxConnections: 4 })));
      assert.ok(nodes.every((node) => node.schema === schema.schema));
    });

    test('one commit per epoch across nodes', async () => {
      const members = await Promise.all([account(), account(), account()]);
      const groupId = random(32);
      await nodes[0]!.createGroup({ groupId, epoch: 1n, creator: members[0]!, members: members.slice(1), welcome: mail(members[0]!, groupId), now: Date.now() });
      for (let epoch = 1n; epoch <= 5n; epoch++) {
        const results = await Promise.allSettled(
          nodes.flatMap((node) =>
            members.map((sender) =>
              node.applyCommit({ groupId, epoch, sender, added: [], removed: [], commit: mail(sender, groupId, DeliveryKind.MLS_COMMIT), now: Date.now() }),
            ),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `epoch ${epoch}`);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof StaleEpochError);
      }
      assert.equal((await nodes[2]!.getGroup(groupId))?.epoch, 6n);
    });

    test('key packages claimed from every node are handed out once', async () => {
      const owner = await account();
      await nodes[0]!.addKeyPackages(owner, Array.from({ length: 30 }, () => random(32)), random(32));
      const claims = await Promise.all(Array.from({ length: 45 }, (_, i) => nodes[i % nodes.length]!.claimKeyPackages(owner.username)));
      const oneTime = claims.flat().filter((c) => !c.lastResort).map((c) => Buffer.from(c.keyPackage).toString('hex'));
      assert.equal(oneTime.length, 30);
      assert.equal(new Set(oneTime).size, 30);
      assert.equal(claims.flat().filter((c) => c.lastResort).length, 15);
    });

    test('one device written from every node: seqs are 1, 2, 3, ... with no gaps', async () => {
      const reader = await account();
      const senders = await Promise.all([account(), account(), account()]);
      const groupId = random(32);
      await nodes[0]!.createGroup({ groupId, epoch: 1n, creator: reader, members: senders, welcome: mail(reader, groupId), now: Date.now() });
      await Promise.all(
        senders.flatMap((sender, i) => Array.from({ length: 20 }, () => nodes[i]!.sendToGroup(mail(sender, groupId), Date.now()))),
      );
      const seqs = (await nodes[1]!.readMailbox(reader, 0n, 100)).map((e) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => BigInt(i + 1)));
    });

    test('a registration race on one username: one wins, the other is USERNAME_TAKEN', async () => {
      counter += 1;
      const username = `race${counter}`;
      const results = await Promise.allSettled(
        nodes.map((node, i) => node.createAccount({ username, deviceId: `d${i}`, identityKey: random(32), requireInvite: false, now: Date.now() })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(r.reason instanceof ServerError && r.reason.code === ErrorCode.USERNAME_TAKEN);
      }
    });

    test('an invite used from two nodes at once registers one account', async () => {
      const code = `inv${Date.now()}`;
      await nodes[0]!.createInvite(code, Date.now(), Date.now() + 60_000);
      counter += 1;
      const results = await Promise.allSettled(
        nodes.map((node, i) =>
          node.createAccount({ username: `inv${counter}x${i}`, deviceId: 'd', identityKey: random(32), requireInvite: true, inviteCode: code, now: Date.now() }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    });

    test('a contact link used from every node at once lets one request through', async () => {
      const member = await account();
      const token = random(32);
      await nodes[0]!.createContactLink(member.username, token, Date.now() + 60_000);
      const requesters = await Promise.all(Array.from({ length: 6 }, () => account()));
      const results = await Promise.allSettled(
        requesters.map((r, i) => nodes[i % nodes.length]!.putContactRequest(r, member.username, 'hi', Date.now(), { linkTokenHash: token })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal(await nodes[1]!.countMailbox(member), 1);
    });

    test('lockdown refusals from every node are each counted, and committed though refused', async () => {
      const member = await account();
      await nodes[0]!.setLockdown(member.username, true);
      const strangers = await Promise.all(Array.from({ length: 9 }, () => account()));
      const results = await Promise.allSettled(strangers.map((s, i) => nodes[i % nodes.length]!.putContactRequest(s, member.username, 'hi', Date.now())));
      for (const r of results) assert.ok(r.status === 'rejected' && r.reason instanceof ServerError && r.reason.code === ErrorCode.LINK_REQUIRED);
      assert.deepEqual(await nodes[2]!.getLockdown(member.username), { enabled: true, refused: 9 });
    });

    test("a group call's record changed from every node at once: one change at a time, none lost", async () => {
      const groupId = random(32);
      let inside = 0;
      let most = 0;
      // Each change reads the count, waits a little (as a change talking to the SFU does), and writes it plus one.
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          nodes[i % nodes.length]!.changeGroupCall(groupId, async (record) => {
            inside += 1;
            most = Math.max(most, inside);
            await new Promise((r) => setTimeout(r, 5));
            inside -= 1;
            return { record: String(Number(record ?? '0') + 1), result: null };
          }),
        ),
      );
      assert.equal(most, 1, 'two changes of one group ran at once');
      const listed = await nodes[2]!.listGroupCalls();
      assert.equal(listed.find((e) => Buffer.from(e.groupId).equals(groupId))?.record, '12');
    });

    test("a node stuck holding a group call's lock holds the others up for the lock timeout, then they fail as unavailable", async () => {
      const groupId = random(32);
      const impatient = await PostgresStore.connect(schema.url, { maxConnections: 4, groupCallLockTimeoutMs: 300 });
      try {
        let release!: () => void;
        let entered!: () => void;
        const inside = new Promise<void>((r) => (entered = r));
        const stuck = nodes[0]!.changeGroupCall(groupId, async () => {
          entered();
          await new Promise<void>((r) => (release = r));
          return { record: 'stuck', result: null };
        });
        await inside;
        const started = Date.now();
        await assert.rejects(impatient.changeGroupCall(groupId, async () => ({ record: 'late', result: null })), StorageUnavailableError);
        const waited = Date.now() - started;
        assert.ok(waited >= 250 && waited < 5_000, `waited ${waited} ms`);
        release();
        await stuck;
        assert.equal((await impatient.listGroupCalls()).find((e) => Buffer.from(e.groupId).equals(groupId))?.record, 'stuck');
      } finally {
        await impatient.close();
      }
    });

    test('after close, calls fail as StorageUnavailableError', async () => {
      for (const node of nodes) await node.close();
      await assert.rejects(nodes[0]!.getSetting('x'), StorageUnavailableError);
      await assert.rejects(nodes[0]!.setSetting('x', 'y'), StorageUnavailableError);
      await nodes[0]!.close(); // twice is fine
    });
  });
});

test('an unreachable database fails connect with host, port and reason', async () => {
  const started = Date.now();
  await assert.rejects(PostgresStore.connect('postgres://nobody:secret@127.0.0.1:1/none', { connectTimeoutMs: 2000 }), (error: unknown) => {
    assert.ok(error instanceof StorageUnavailableError);
    assert.match(error.message, /^cannot reach PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    assert.doesNotMatch(error.message, /secret/);
    return true;
  });
  assert.ok(Date.now() - started < 5000);
});

test('a URL that is not postgres:// or has a bad schema name is refused before connecting', async () => {
  await assert.rejects(PostgresStore.connect('mysql://127.0.0.1/x'), /postgres:\/\//);
  await assert.rejects(PostgresStore.connect('postgres://127.0.0.1/x?schema=Bad;DROP'), /lower-case identifier/);
});
