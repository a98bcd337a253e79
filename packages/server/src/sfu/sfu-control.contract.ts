/**
 * @module sfu/sfu-control.contract
 * The contract every `SfuControl` runs (`runSfuControlContract`): rooms, admissions that open
 * exactly one room for exactly their holder until they expire or are revoked, clear errors for
 * bad input, and recovery after the SFU dies. What a participant may do is checked at the SFU
 * itself, through the harness's participant, never by asking the controller.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../clock.js';
import { SfuError, type SfuAdmission, type SfuControl, type SfuProblem, type SfuRevocation, type SfuRoomId } from './sfu-control.js';

/** What the SFU said to a participant's join. */
export interface JoinOutcome {
  readonly joined: boolean;
  /** The SFU's words when it refused. */
  readonly why: string;
}

export interface SfuHarness {
  readonly control: SfuControl;
  /** Joins `roomId` as a participant, presenting `admission` as the SFU expects (a fresh connection each time). */
  tryJoin(admission: Pick<SfuAdmission, 'token' | 'joinToken' | 'feedId'>, roomId: SfuRoomId): Promise<JoinOutcome>;
  /** Joins `roomId` and stays in it until `leave` (its connection closes, as a crashed client's does). */
  joinAndStay(admission: Pick<SfuAdmission, 'token' | 'joinToken' | 'feedId'>, roomId: SfuRoomId): Promise<{ leave(): void }>;
  /** Another controller over the same SFU, reading time from `clock` (to mint already-expired admissions). */
  controlWithClock(clock: Clock): SfuControl;
  /** The SFU dies at once (SIGKILL), forgetting its rooms. */
  killSfu(): Promise<void>;
  /** The SFU starts again on the same address and configuration. */
  startSfu(): Promise<void>;
  dispose(): Promise<void>;
}

/** How long recovery may take before the test fails: bounded by the controller's backoff cap. */
const RECOVERY_DEADLINE_MS = 20_000;

export function runSfuControlContract(name: string, setup: () => Promise<SfuHarness>, options: { skip?: string } = {}): void {
  describe(`SfuControl contract: ${name}`, { skip: options.skip }, () => {
    let h: SfuHarness;
    before(async () => {
      h = await setup();
    });
    after(async () => {
      await h?.dispose();
    });

    test('a new controller reports the SFU up', async () => {
      const health = await h.control.health();
      assert.equal(health.up, true, health.detail);
    });

    test('an admitted participant joins its room', async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      const admission = await h.control.admit(roomId, 'alice');
      assert.ok(admission.expiresAt > Date.now(), 'the admission expires in the future');
      assert.ok(admission.expiresAt <= Date.now() + 10 * 60_000, 'the admission is short-lived');
      const outcome = await h.tryJoin(admission, roomId);
      assert.equal(outcome.joined, true, outcome.why);
    });

    test('rooms get distinct ids', async () => {
      const a = await h.control.createRoom({ maxParticipants: 2 });
      const b = await h.control.createRoom({ maxParticipants: 2, audioOnly: true });
      assert.notEqual(a.roomId, b.roomId);
    });

    test('an admission to one room does not open another', async () => {
      const a = await h.control.createRoom({ maxParticipants: 4 });
      const b = await h.control.createRoom({ maxParticipants: 4 });
      const admission = await h.control.admit(a.roomId, 'alice');
      const outcome = await h.tryJoin(admission, b.roomId);
      assert.equal(outcome.joined, false);
      assert.match(outcome.why, /unauthori[sz]ed/i);
    });

    test("one participant's admission used with another's feed credentials is still bound to its room", async () => {
      const a = await h.control.createRoom({ maxParticipants: 4 });
      const b = await h.control.createRoom({ maxParticipants: 4 });
      const forA = await h.control.admit(a.roomId, 'alice');
      const forB = await h.control.admit(b.roomId, 'bob');
      // Alice's join token with Bob's API token: still only room A.
      const outcome = await h.tryJoin({ token: forB.token, joinToken: forA.joinToken, feedId: forA.feedId }, b.roomId);
      assert.equal(outcome.joined, false);
    });

    test('a stranger with made-up tokens is refused', async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      const real = await h.control.admit(roomId, 'alice');
      const forged = real.joinToken.replace(/:.*$/, ':AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
      assert.equal((await h.tryJoin({ ...real, joinToken: forged }, roomId)).joined, false);
      assert.equal((await h.tryJoin({ ...real, token: 'not-a-token' }, roomId)).joined, false);
    });

    test('an expired admission is refused', async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      const past = h.controlWithClock(() => Date.now() - 60 * 60_000);
      try {
        const stale = await past.admit(roomId, 'alice');
        assert.ok(stale.expiresAt < Date.now());
        const outcome = await h.tryJoin(stale, roomId);
        assert.equal(outcome.joined, false);
        assert.match(outcome.why, /unauthori[sz]ed/i);
      } finally {
        await past.close();
      }
    });

    test('a revoked admission is refused, and other admissions still work', async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      const alice = await h.control.admit(roomId, 'alice');
      const bob = await h.control.admit(roomId, 'bob');
      await h.control.revoke(roomId, 'alice', withdrawalOf(alice));
      const outcome = await h.tryJoin(alice, roomId);
      assert.equal(outcome.joined, false);
      assert.match(outcome.why, /unauthori[sz]ed/i);
      assert.equal((await h.tryJoin(bob, roomId)).joined, true);
    });

    test('revoking a participant who joined removes it, and it cannot come back', async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      const alice = await h.control.admit(roomId, 'alice');
      assert.equal((await h.tryJoin(alice, roomId)).joined, true);
      await h.control.revoke(roomId, 'alice', withdrawalOf(alice));
      assert.equal((await h.tryJoin(alice, roomId)).joined, false);
    });

    test("another controller (another node's) revokes an admission it did not make, given what was handed out", async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      const alice = await h.control.admit(roomId, 'alice');
      const bob = await h.control.admit(roomId, 'bob');
      const stay = await h.joinAndStay(alice, roomId);
      const other = h.controlWithClock(() => Date.now());
      try {
        await other.revoke(roomId, 'alice', { joinTokens: [alice.joinToken], feedIds: [alice.feedId], keepFeeds: new Set([bob.feedId]) });
        assert.deepEqual([...(await h.control.present(roomId))], [], 'her feed was removed from the room');
        assert.equal((await h.tryJoin(alice, roomId)).joined, false, 'her admission no longer opens the room');
        assert.equal((await h.tryJoin(bob, roomId)).joined, true, "the other admission still works");
      } finally {
        stay.leave();
        await other.close();
      }
    });

    test('present lists who is in a room now: a participant once joined, not once its connection is gone', async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      assert.deepEqual([...(await h.control.present(roomId))], []);
      const alice = await h.control.admit(roomId, 'alice');
      const bob = await h.control.admit(roomId, 'bob');
      const stay = await h.joinAndStay(alice, roomId);
      assert.deepEqual([...(await h.control.present(roomId))], [alice.feedId], 'admitted but not joined is not present');
      stay.leave();
      const deadline = Date.now() + RECOVERY_DEADLINE_MS;
      while ((await h.control.present(roomId)).size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual([...(await h.control.present(roomId))], [], 'a participant whose connection closed is still listed');
      assert.ok(bob.feedId !== alice.feedId);
      await h.control.destroyRoom(roomId);
      await rejectsWith(h.control.present(roomId), 'unknown-room', /no room|no such room/);
    });

    test('a destroyed room admits no one and cannot be destroyed twice', async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      const alice = await h.control.admit(roomId, 'alice');
      await h.control.destroyRoom(roomId);
      assert.equal((await h.tryJoin(alice, roomId)).joined, false);
      await rejectsWith(h.control.admit(roomId, 'bob'), 'unknown-room', /no room|no such room/);
      await rejectsWith(h.control.destroyRoom(roomId), 'unknown-room', /no such room/);
    });

    test('an unknown room is a clear error for every operation', async () => {
      const unknown = 4_242_424_242;
      await rejectsWith(h.control.admit(unknown, 'alice'), 'unknown-room', /no such room/);
      await rejectsWith(h.control.revoke(unknown, 'alice', { joinTokens: [], feedIds: [] }), 'unknown-room', /no room/);
      await rejectsWith(h.control.destroyRoom(unknown), 'unknown-room', /no such room/);
      await rejectsWith(h.control.present(unknown), 'unknown-room', /no room|no such room/);
    });

    test('bad room options are refused before the SFU is asked', async () => {
      for (const maxParticipants of [0, -1, 1.5, 33, Number.NaN]) {
        await rejectsWith(h.control.createRoom({ maxParticipants }), 'bad-input', /maxParticipants must be a whole number from 1 to 32/);
      }
      await rejectsWith(h.control.createRoom({ maxParticipants: 2, audioOnly: 'yes' as unknown as boolean }), 'bad-input', /audioOnly must be true or false/);
    });

    test('bad room ids and participant references are refused', async () => {
      const { roomId } = await h.control.createRoom({ maxParticipants: 2 });
      for (const bad of [0, -5, 1.5, Number.NaN, 2 ** 60]) {
        await rejectsWith(h.control.admit(bad, 'alice'), 'bad-input', /room id is a positive whole number/);
        await rejectsWith(h.control.destroyRoom(bad), 'bad-input', /room id is a positive whole number/);
      }
      for (const bad of ['', 'has space', 'x'.repeat(65), 'semi;colon']) {
        await rejectsWith(h.control.admit(roomId, bad), 'bad-input', /participant reference/);
        await rejectsWith(h.control.revoke(roomId, bad, { joinTokens: [], feedIds: [] }), 'bad-input', /participant reference/);
      }
      const badWithdrawals: unknown[] = [undefined, { joinTokens: 'x', feedIds: [] }, { joinTokens: [''], feedIds: [] }, { joinTokens: Array(65).fill('t'), feedIds: [] }, { joinTokens: [], feedIds: [0] }, { joinTokens: [], feedIds: [1.5] }];
      for (const bad of badWithdrawals) {
        await rejectsWith(h.control.revoke(roomId, 'alice', bad as SfuRevocation), 'bad-input', /A revocation names at most 64/);
      }
    });

    test('when the SFU dies, health says so and every operation is a clear unavailable error', async () => {
      await h.killSfu();
      try {
        const health = await h.control.health();
        assert.equal(health.up, false);
        assert.match(health.detail, /SFU/);
        await rejectsWith(h.control.createRoom({ maxParticipants: 2 }), 'unavailable', /SFU/);
      } finally {
        await h.startSfu();
        // The controller may be waiting out its backoff: the next test starts from an SFU it reaches again.
        await untilUp(h.control);
      }
    });

    test('after the SFU restarts, the controller reconnects; the rooms the SFU forgot stay gone (the caller opens new ones), and new rooms and admissions work', async () => {
      await untilUp(h.control);
      const { roomId } = await h.control.createRoom({ maxParticipants: 4 });
      await h.control.admit(roomId, 'alice');
      const reconnectsBefore = (await h.control.health()).reconnects;
      await h.killSfu();
      await h.startSfu();
      const health = await untilUp(h.control);
      assert.ok(health.reconnects > reconnectsBefore, `reconnects went from ${reconnectsBefore} to ${health.reconnects}`);
      // Made again by no controller: a stale copy on one node would bring back what another ended.
      await rejectsWith(h.control.present(roomId), 'unknown-room', /no room|no such room/);
      const other = await h.control.createRoom({ maxParticipants: 2 });
      const fresh = await h.control.admit(other.roomId, 'bob');
      assert.equal((await h.tryJoin(fresh, other.roomId)).joined, true);
    });
  });
}

const withdrawalOf = (admission: SfuAdmission): SfuRevocation => ({ joinTokens: [admission.joinToken], feedIds: [admission.feedId] });

/** Asks health until it says up; the controller's own backoff does the waiting between attempts. */
async function untilUp(control: SfuControl): Promise<{ up: boolean; detail: string; reconnects: number }> {
  const deadline = Date.now() + RECOVERY_DEADLINE_MS;
  let last = await control.health();
  while (!last.up) {
    if (Date.now() > deadline) assert.fail(`the controller did not recover within ${RECOVERY_DEADLINE_MS} ms: ${last.detail}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await control.health();
  }
  return last;
}

async function rejectsWith(promise: Promise<unknown>, problem: SfuProblem, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SfuError, `expected an SfuError, got ${String(error)}`);
    assert.equal(error.problem, problem, error.message);
    assert.match(error.message, message);
    return true;
  });
}
