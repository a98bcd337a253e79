/**
 * @module storage/contracts/group-calls.contract
 * The group call records contract: a record round-trips, a change sees the change before it
 * (one group's changes run one at a time, other groups' side by side), a change that throws
 * keeps nothing and its error reaches the caller as it was, and a record too long is refused.
 * Every backend runs it (through storage/contracts/index.ts), each test on a fresh store. That
 * nodes of a cluster take turns too is shown in postgres/postgres-store.test.ts.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import { MAX_GROUP_CALL_RECORD_CHARS } from '../domains/group-calls.js';
import type { Store } from '../store.js';
import { assertCode, freshStorePerTest, randomBytes, type MakeStore } from './harness.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runGroupCallsContract(name: string, makeStore: MakeStore): void {
  describe(`group calls contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

    test('a record is stored, listed, replaced and deleted', async () => {
      const groupId = randomBytes(32);
      assert.deepEqual(await store.listGroupCalls(), []);
      const seen = await store.changeGroupCall(groupId, async (record) => ({ record: '{"v":1}', result: record }));
      assert.equal(seen, undefined, 'no record before the first change');
      assert.equal(await store.changeGroupCall(groupId, async (record) => ({ record: '{"v":2}', result: record })), '{"v":1}');
      const listed = await store.listGroupCalls();
      assert.deepEqual(listed.map((e) => [Buffer.from(e.groupId).toString('hex'), e.record]), [[Buffer.from(groupId).toString('hex'), '{"v":2}']]);
      await store.changeGroupCall(groupId, async () => ({ record: undefined, result: null }));
      assert.deepEqual(await store.listGroupCalls(), []);
      assert.equal(await store.changeGroupCall(groupId, async (record) => ({ record, result: record })), undefined);
    });

    test("one group's changes run one at a time, each seeing the one before; another group's do not wait", async () => {
      const groupId = randomBytes(32);
      const other = randomBytes(32);
      const order: string[] = [];
      let releaseFirst!: () => void;
      const first = store.changeGroupCall(groupId, async (record) => {
        order.push('first start');
        await new Promise<void>((r) => (releaseFirst = r));
        order.push('first end');
        return { record: `${record ?? ''}a`, result: 1 };
      });
      const second = store.changeGroupCall(groupId, async (record) => {
        order.push(`second saw ${record}`);
        return { record: `${record}b`, result: 2 };
      });
      await pause(20);
      // The other group's change finishes while the first is still running.
      await store.changeGroupCall(other, async () => ({ record: 'x', result: 0 }));
      order.push('other done');
      releaseFirst();
      assert.deepEqual(await Promise.all([first, second]), [1, 2]);
      assert.deepEqual(order, ['first start', 'other done', 'first end', 'second saw a']);
      assert.equal((await store.listGroupCalls()).find((e) => Buffer.from(e.groupId).equals(groupId))?.record, 'ab');
    });

    test('a change that throws keeps nothing, and the caller gets its error as it was', async () => {
      const groupId = randomBytes(32);
      await store.changeGroupCall(groupId, async () => ({ record: 'kept', result: 0 }));
      const mine = new TypeError('the change failed');
      await assert.rejects(store.changeGroupCall(groupId, async () => {
        throw mine;
      }), (error: unknown) => error === mine);
      assert.equal(await store.changeGroupCall(groupId, async (record) => ({ record, result: record })), 'kept');
    });

    test('a record too long, or empty, is refused and nothing is stored', async () => {
      const groupId = randomBytes(32);
      await assertCode(store.changeGroupCall(groupId, async () => ({ record: 'x'.repeat(MAX_GROUP_CALL_RECORD_CHARS + 1), result: 0 })), ErrorCode.INTERNAL, /group call record/);
      await assertCode(store.changeGroupCall(groupId, async () => ({ record: '', result: 0 })), ErrorCode.INTERNAL, /group call record/);
      assert.deepEqual(await store.listGroupCalls(), []);
      await store.changeGroupCall(groupId, async () => ({ record: 'x'.repeat(MAX_GROUP_CALL_RECORD_CHARS), result: 0 }));
      assert.equal((await store.listGroupCalls())[0]?.record.length, MAX_GROUP_CALL_RECORD_CHARS);
    });
  });
}
