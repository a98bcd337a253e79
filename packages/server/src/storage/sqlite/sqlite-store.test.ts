import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRateLimiter } from '../../rate-limits/memory-rate-limiter.js';
import { runStorageContract } from '../contracts/index.js';
import Database from 'better-sqlite3';
import { DeliveryKind } from '@sotto/protocol';
import type { MailItem } from '../types.js';
import { TAIL_ENTRIES } from './mailbox-tails.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'sotto-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let contractStores = 0;
// A new file per store: each contract test starts from an empty database.
runStorageContract('sqlite', async () => new SqliteStore({ path: join(dir, `contract-${++contractStores}.db`) }));

test('the rate limiter of a SQLite store lives in memory, one per store', async () => {
  const store = new SqliteStore({ path: join(dir, 'limiter.db') });
  try {
    assert.ok(store.rateLimiter() instanceof MemoryRateLimiter);
    assert.equal(store.rateLimiter(), store.rateLimiter());
  } finally {
    await store.close();
  }
});

/** The store looks for other processes' commits at most once a millisecond. */
const afterOtherWritersCheck = () => new Promise((resolve) => setTimeout(resolve, 2));

describe('mailbox reads served from memory', () => {
  async function caughtUpReader(path: string) {
    const store = new SqliteStore({ path });
    const a = { username: `a${Date.now()}`, deviceId: 'd1' };
    const b = { username: `b${Date.now()}`, deviceId: 'd1' };
    for (const device of [a, b]) await store.createAccount({ ...device, identityKey: randomBytes(32), requireInvite: false, now: 1 });
    const groupId = randomBytes(32);
    const item = (kind = DeliveryKind.MLS_MESSAGE): MailItem => ({ kind, sender: a, groupId, messageId: randomBytes(16), payload: randomBytes(200), epoch: 0n });
    await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: item(DeliveryKind.MLS_WELCOME), now: 1 });
    const [welcome] = await store.readMailbox(b, 0n, 10);
    assert.equal((await store.readMailbox(b, welcome!.seq, 10)).length, 0, 'the reader is at the end');
    return { store, a, b, item, cursor: welcome!.seq };
  }

  test("another process's commit is seen: the store reads the table again", async () => {
    const path = join(dir, 'other-writer.db');
    const { store, b, cursor } = await caughtUpReader(path);
    try {
      const other = new Database(path);
      const pk = (other.prepare('SELECT pk FROM devices WHERE device_id = ? AND account_id = (SELECT id FROM accounts WHERE username = ?)').get('d1', b.username) as { pk: number }).pk;
      other
        .prepare(`INSERT INTO mailbox (device_pk, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at) VALUES (?, ?, '', '', x'', x'00', x'01', 0, 5)`)
        .run(pk, DeliveryKind.THREAT_NOTICE);
      other.close();
      await afterOtherWritersCheck();
      assert.deepEqual((await store.readMailbox(b, cursor, 10)).map((e) => e.kind), [DeliveryKind.THREAT_NOTICE]);
    } finally {
      await store.close();
    }
  });

  test("a setting another process writes is read at once, though settings are kept in memory", async () => {
    const path = join(dir, 'settings.db');
    const store = new SqliteStore({ path });
    try {
      await store.setSetting('min_client_version', '1.0.0');
      assert.equal(await store.getSetting('min_client_version'), '1.0.0');
      const other = new Database(path);
      other.prepare("UPDATE settings SET value = '2.0.0' WHERE key = 'min_client_version'").run();
      other.close();
      await afterOtherWritersCheck();
      assert.equal(await store.getSetting('min_client_version'), '2.0.0');
    } finally {
      await store.close();
    }
  });

  test('entries removed by expiry are not handed out from memory', async () => {
    const { store, b, item, cursor } = await caughtUpReader(join(dir, 'expiry.db'));
    try {
      await store.sendToGroup(item(), 100);
      await store.expire(200);
      assert.equal((await store.readMailbox(b, cursor, 10)).length, 0);
      await store.sendToGroup(item(), 300);
      assert.equal((await store.readMailbox(b, cursor, 10)).length, 1, 'and later entries are read again');
    } finally {
      await store.close();
    }
  });

  test('a device that stops reading keeps its entries in the table, and gets every one in order', async () => {
    const { store, b, item, cursor } = await caughtUpReader(join(dir, 'overflow.db'));
    try {
      const count = TAIL_ENTRIES + 10;
      for (let i = 0; i < count; i++) await store.sendToGroup(item(), 1_000 + i);
      const entries = await store.readMailbox(b, cursor, 10_000);
      assert.equal(entries.length, count);
      assert.ok(entries.every((e, i) => i === 0 || e.seq > entries[i - 1]!.seq));
    } finally {
      await store.close();
    }
  });
});
