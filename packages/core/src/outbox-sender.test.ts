import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import { toHex } from './bytes.js';
import { ClientEvents } from './context.js';
import { ClientError, RemoteError } from './errors.js';
import { MemoryClientStore } from './memory-store.js';
import { OutboxSender, SEND_ATTEMPTS, SEND_GIVE_UP_MS, type SendDelay } from './outbox-sender.js';
import type { Clock, LogFields, OutboxEntry } from './ports.js';
import type { Session } from './session.js';

/** A clock whose time moves only when the test fires the next timer. */
class ManualClock implements Clock {
  nowMs = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.nowMs + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time to the earliest timer and fires it; false when there is none. */
  fireNext(): boolean {
    const [id, next] = [...this.timers].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
    if (id === undefined || !next) return false;
    this.timers.delete(id);
    this.nowMs = Math.max(this.nowMs, next.at);
    next.fn();
    return true;
  }
}

const storageFull = () => new RemoteError(ErrorCode.INTERNAL, 'Storage is unavailable; nothing was changed.');
const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

type Answer = 'ok' | Error | ((clock: ManualClock) => Error);

/** An OutboxSender over an in-memory store and a session that answers SEND as `answers` say (the last repeats). */
function setup(answers: Answer[]) {
  const clock = new ManualClock();
  const store = new MemoryClientStore();
  const events = new ClientEvents();
  const warnings: { message: string; fields: LogFields }[] = [];
  const logger = { debug() {}, info() {}, warn: (fields: LogFields, message: string) => void warnings.push({ message, fields }), error() {} };
  const sent: string[] = [];
  const session = {
    currentState: 'ready',
    request: async (_type: unknown, body: { messageId: Uint8Array }) => {
      sent.push(toHex(body.messageId));
      const answer = answers[Math.min(sent.length, answers.length) - 1]!;
      if (answer === 'ok') return { case: undefined };
      throw typeof answer === 'function' ? answer(clock) : answer;
    },
  } as unknown as Session;
  const outbox = new OutboxSender({ session, store, clock, logger, events });
  const delays: SendDelay[] = [];
  outbox.didDelaySend.event((d) => delays.push(d));
  let n = 0;
  /** Stores an entry in the outbox (as Conversations does before sending) and delivers it. */
  const send = async (): Promise<{ id: string; acked: Promise<void>; outcome: () => string }> => {
    const id = (++n).toString(16).padStart(32, '0');
    const entry: OutboxEntry = { messageId: id, groupId: 'ab'.repeat(32), payload: new Uint8Array([n]), createdAt: clock.now() };
    await store.apply({ outboxAdd: [entry] });
    let outcome = 'waiting';
    const acked = outbox.deliver(entry);
    acked.then(() => (outcome = 'stored'), (error: ClientError) => (outcome = error.code === 'REMOTE' ? (error as RemoteError).wireName : error.code));
    return { id, acked, outcome: () => outcome };
  };
  /** Lets promises run, firing timers one at a time, until `done` or nothing is left to fire. */
  const drive = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      await flush();
      if (done() || !clock.fireNext()) break;
    }
    await flush();
  };
  const waiting = async () => (await store.listOutbox()).map((e) => e.messageId);
  return { clock, store, outbox, delays, warnings, sent, send, drive, waiting };
}

test('the server cannot store: each retry is announced and logged, then the sender is told SERVER_UNAVAILABLE and the message stays', async () => {
  const { clock, outbox, delays, warnings, sent, send, drive, waiting } = setup([storageFull()]);
  const message = await send();
  await drive(() => message.outcome() !== 'waiting');
  assert.equal(message.outcome(), 'SERVER_UNAVAILABLE');
  await assert.rejects(message.acked, /cannot store messages right now \(6 attempts\)\. The message is kept/);
  assert.equal(sent.length, SEND_ATTEMPTS, 'sent once and retried up to the bound, no more');
  assert.deepEqual(delays.map((d) => [d.failedAttempts, d.retryInMs]), [[1, 250], [2, 500], [3, 1000], [4, 2000], [5, 4000], [6, undefined]]);
  assert.ok(delays.every((d) => d.reason === 'server-failed' && d.maxAttempts === SEND_ATTEMPTS && d.waiting === 1));
  assert.equal(clock.nowMs, 7750, 'gave up 7.75 s after the first refusal');
  assert.equal(warnings.length, SEND_ATTEMPTS, 'one warn-level line per failed attempt');
  assert.ok(warnings.every((w) => w.fields.reason === 'server-failed' && !JSON.stringify(w).includes(message.id)), 'counts and reasons only');
  assert.deepEqual(await waiting(), [message.id], 'kept in the outbox for the next connection');
  assert.equal(clock.pendingTimers, 0, 'no retry left running');
  await outbox.settled();
});

test('the server recovers within the bound: the message is stored once and the count starts again', async () => {
  const { outbox, delays, sent, send, drive, waiting } = setup([storageFull(), storageFull(), 'ok', storageFull(), 'ok']);
  const first = await send();
  await drive(() => first.outcome() !== 'waiting');
  assert.equal(first.outcome(), 'stored');
  assert.deepEqual(sent, [first.id, first.id, first.id]);
  assert.deepEqual(await waiting(), []);
  const second = await send();
  await drive(() => second.outcome() !== 'waiting');
  assert.equal(second.outcome(), 'stored');
  assert.deepEqual(delays.map((d) => d.failedAttempts), [1, 2, 1], 'a success ends the outage');
  await outbox.settled();
});

test('settled() waits through the retries, so a one-shot client does not leave before the bound', async () => {
  const { clock, outbox, sent, send } = setup([storageFull(), storageFull(), 'ok']);
  const message = await send();
  let settled = false;
  void outbox.settled().then(() => (settled = true));
  await flush();
  assert.equal(settled, false, 'a retry is due');
  while (clock.fireNext()) await flush();
  await flush();
  assert.equal(settled, true);
  assert.equal(message.outcome(), 'stored');
  assert.equal(sent.length, 3);
});

test('after giving up, the next send tries the whole outbox again, oldest first', async () => {
  const answers: Answer[] = Array.from({ length: SEND_ATTEMPTS }, storageFull);
  answers.push('ok');
  const { sent, send, drive, waiting } = setup(answers);
  const old = await send();
  await drive(() => old.outcome() !== 'waiting');
  assert.equal(old.outcome(), 'SERVER_UNAVAILABLE');
  const next = await send();
  await drive(() => next.outcome() !== 'waiting');
  assert.equal(next.outcome(), 'stored');
  assert.deepEqual(sent.slice(SEND_ATTEMPTS), [old.id, next.id], 'the kept message first, then the new one');
  assert.deepEqual(await waiting(), []);
});

test('no answer in time counts too, and the time bound ends slow failures before the attempt bound', async () => {
  // Each attempt takes the session's 20 s request timeout.
  const timeout = (clock: ManualClock) => {
    clock.nowMs += 20_000;
    return new ClientError('TIMEOUT', 'The server did not answer in time.');
  };
  const { delays, send, drive } = setup([timeout]);
  const message = await send();
  await drive(() => message.outcome() !== 'waiting');
  assert.equal(message.outcome(), 'SERVER_UNAVAILABLE');
  await assert.rejects(message.acked, /did not answer in time/);
  const last = delays.at(-1)!;
  assert.equal(last.retryInMs, undefined);
  assert.ok(last.failedAttempts < SEND_ATTEMPTS, `gave up after ${last.failedAttempts} attempts, within ${SEND_GIVE_UP_MS} ms of the first`);
  assert.ok(delays.every((d) => d.reason === 'no-answer'));
});

test('sends failing together are one attempt; rate limits are retried without a bound and without alarm', async () => {
  const limited = new RemoteError(ErrorCode.RATE_LIMITED, 'Too many requests; slow down.', 1000);
  const answers: Answer[] = [storageFull(), storageFull(), storageFull(), ...Array.from({ length: 12 }, () => limited), 'ok'];
  const { delays, send, drive, sent } = setup(answers);
  // Three in flight at once, all refused: one failed attempt, not three.
  const messages = await Promise.all([send(), send(), send()]);
  await drive(() => messages.every((m) => m.outcome() !== 'waiting'));
  assert.deepEqual(messages.map((m) => m.outcome()), ['stored', 'stored', 'stored']);
  assert.deepEqual(delays.map((d) => d.failedAttempts), [1], 'one announcement for the three');
  assert.ok(sent.length > 3 + 12, 'rate-limited rounds went on past the storage bound');
});

test('a message refused for good leaves the outbox, and the round goes on to the next', async () => {
  // The connection drops under both sends; after reconnecting the server refuses the first for good.
  const gone = new ClientError('NOT_CONNECTED', 'Connection lost (1006).');
  const { send, drive, outbox, waiting, sent } = setup([gone, gone, new RemoteError(ErrorCode.NOT_A_MEMBER), 'ok']);
  const a = await send();
  const b = await send();
  await flush();
  assert.deepEqual([a.outcome(), b.outcome()], ['waiting', 'waiting'], 'kept for the next connection');
  await outbox.resendOutbox();
  await drive(() => a.outcome() !== 'waiting' && b.outcome() !== 'waiting');
  assert.deepEqual([a.outcome(), b.outcome()], ['NOT_A_MEMBER', 'stored']);
  assert.deepEqual(sent, [a.id, b.id, a.id, b.id]);
  assert.deepEqual(await waiting(), []);
});

test('a connection gone for good fails waiting sends with NOT_CONNECTED and stops the retries', async () => {
  const { clock, outbox, send, waiting } = setup([storageFull()]);
  const message = await send();
  await flush();
  assert.equal(clock.pendingTimers, 1);
  outbox.abandonPending();
  await flush();
  assert.equal(message.outcome(), 'NOT_CONNECTED');
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(await waiting(), [message.id]);
  await outbox.settled();
});
