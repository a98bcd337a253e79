import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailboxEntry } from '../types.js';
import { entryAt as entry } from './entry-fixture.js';
import { MailboxTails, TAIL_ENTRIES } from './mailbox-tails.js';

const seqs = (entries: readonly MailboxEntry[] | undefined) => entries?.map((e) => Number(e.seq));

test('a device without a tail is read from the table, and entries committed before it caught up are not kept', () => {
  const tails = new MailboxTails();
  tails.committed(1, entry(5));
  assert.equal(tails.read(1, 0n, 10), undefined);
});

test('after a caught-up read, committed entries are answered from memory, in order and within the limit', () => {
  const tails = new MailboxTails();
  tails.caughtUp(1, 4n);
  tails.committed(1, entry(5));
  tails.committed(1, entry(7));
  tails.committed(2, entry(6));
  assert.deepEqual(seqs(tails.read(1, 4n, 10)), [5, 7]);
  assert.deepEqual(seqs(tails.read(1, 4n, 1)), [5]);
  assert.equal(tails.read(2, 0n, 10), undefined, 'another device has no tail');
});

test('a read from before the tail goes to the table; a read trims what it has passed', () => {
  const tails = new MailboxTails();
  tails.caughtUp(1, 4n);
  assert.equal(tails.read(1, 3n, 10), undefined);
  tails.committed(1, entry(5));
  tails.committed(1, entry(6));
  assert.deepEqual(seqs(tails.read(1, 5n, 10)), [6]);
  assert.equal(tails.read(1, 4n, 10), undefined, 'entry 5 was passed: a reader from 4 goes to the table');
});

test('acked entries are never handed out again', () => {
  const tails = new MailboxTails();
  tails.caughtUp(1, 0n);
  for (const seq of [1, 2, 3]) tails.committed(1, entry(seq));
  tails.deleted(1, [1n, 3n]);
  assert.deepEqual(seqs(tails.read(1, 0n, 10)), [2]);
});

test('a tail that grows past its bound is dropped, so its device is read from the table', () => {
  const tails = new MailboxTails();
  tails.caughtUp(1, 0n);
  for (let seq = 1; seq <= TAIL_ENTRIES + 1; seq++) tails.committed(1, entry(seq));
  assert.equal(tails.read(1, 0n, 10), undefined);
});
