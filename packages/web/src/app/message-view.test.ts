import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS } from '@sotto/protocol';
import type { StoredMessage } from '@sotto/core';
import { offersFor, quoteOf } from './message-view.js';
import { formatRemaining } from './format.js';

const NOW = 1_800_000_000_000;
function message(extra: Partial<StoredMessage> = {}): StoredMessage {
  return { messageId: 'm', groupId: 'g', sender: 'bob', senderDevice: 'd', body: 'hello\nsecond line', sentAt: NOW - 1000, receivedAt: NOW, outgoing: true, status: 'sent', ...extra };
}

test('own texts offer edit (15 minutes) and delete for everyone (2 days); others\' messages neither', () => {
  assert.deepEqual(offersFor(message(), 'bob', NOW, true), { reply: true, react: true, edit: true, deleteForEveryone: true, forward: true, copy: true });
  const theirs = offersFor(message({ sender: 'alice', outgoing: false }), 'bob', NOW, true);
  assert.equal(theirs.edit, false);
  assert.equal(theirs.deleteForEveryone, false);
  const old = offersFor(message({ sentAt: NOW - LIMITS.editWindowMs - 1 }), 'bob', NOW, true);
  assert.equal(old.edit, false);
  assert.equal(old.deleteForEveryone, true);
  assert.equal(offersFor(message({ sentAt: NOW - LIMITS.retractWindowMs - 1 }), 'bob', NOW, true).deleteForEveryone, false);
});

test('a deleted message or a notice offers nothing; a chat the member cannot write in offers only forward and copy', () => {
  assert.ok(!Object.values(offersFor(message({ deletedAt: NOW, body: '' }), 'bob', NOW, true)).some(Boolean));
  assert.ok(!Object.values(offersFor(message({ notice: 'timer' }), 'bob', NOW, true)).some(Boolean));
  assert.deepEqual(offersFor(message(), 'bob', NOW, false), { reply: false, react: false, edit: false, deleteForEveryone: false, forward: true, copy: true });
});

test('a quote is the sender and the first line; a deleted one says so', () => {
  assert.deepEqual(quoteOf(message()), { sender: 'You', text: 'hello' });
  assert.deepEqual(quoteOf(message({ outgoing: false, sender: 'alice', deletedAt: NOW, body: '' })), { sender: 'alice', text: 'This message was deleted' });
  assert.equal(quoteOf(message({ body: 'x'.repeat(300) })).text.length, 120);
});

test('time left on a disappearing message, in the largest unit that fits', () => {
  assert.equal(formatRemaining(58_200), '59 s');
  assert.equal(formatRemaining(59_500), '1 min');
  assert.equal(formatRemaining(61_000), '1 min');
  assert.equal(formatRemaining(23.5 * 3_600_000), '23 h');
  assert.equal(formatRemaining(6.5 * 86_400_000), '6 d');
  assert.equal(formatRemaining(-5), '0 s');
});
