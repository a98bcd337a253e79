/** @module message-rules.test: who may edit, delete and react, and when, as every device judges it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeEdit, judgeReaction, judgeRetract } from './message-rules.js';
import { applyMessageChange } from './message-change.js';
import type { StoredMessage } from './ports.js';

const T = 1_000_000;
const message: StoredMessage = {
  messageId: 'm1', groupId: 'g', sender: 'ada', senderDevice: 'd1', body: 'hi', sentAt: T, receivedAt: T, outgoing: false, status: 'delivered',
};
const reason = (verdict: ReturnType<typeof judgeEdit>) => (verdict.ok ? 'ok' : verdict.reason);

test('edits: the sender, a text, within 15 minutes, never older than the shown edit', () => {
  assert.equal(reason(judgeEdit(message, 'ada', 'hello', T + 15 * 60_000)), 'ok');
  assert.match(reason(judgeEdit(message, 'ada', 'hello', T + 15 * 60_000 + 1)), /15 minutes/);
  assert.match(reason(judgeEdit(message, 'ada', 'hello', T - 1)), /15 minutes/, 'dated before the message');
  assert.match(reason(judgeEdit(message, 'bob', 'hello', T + 1)), /Only its sender/);
  assert.match(reason(judgeEdit({ ...message, attachment: new Uint8Array(1) }, 'ada', 'x', T + 1)), /only a text/);
  assert.match(reason(judgeEdit({ ...message, editedAt: T + 10 }, 'ada', 'x', T + 5)), /newer edit/);
  assert.match(reason(judgeEdit({ ...message, deletedAt: T + 1 }, 'ada', 'x', T + 2)), /deleted/);
});

test('deletion for everyone: the sender, within 2 days, once', () => {
  assert.equal(reason(judgeRetract(message, 'ada', T + 48 * 3_600_000)), 'ok');
  assert.match(reason(judgeRetract(message, 'ada', T + 48 * 3_600_000 + 1)), /48 hours/);
  assert.match(reason(judgeRetract(message, 'bob', T + 1)), /Only its sender/);
  assert.match(reason(judgeRetract({ ...message, deletedAt: T }, 'ada', T + 1)), /already deleted/);
});

test('reactions: any member, one each, the newest counts, empty takes it back', () => {
  const first = judgeReaction(message, 'bob', '👍', T + 5);
  assert.ok(first.ok);
  const reacted = applyMessageChange(message, first.change);
  assert.deepEqual(reacted.reactions, [{ user: 'bob', emoji: '👍', sentAt: T + 5 }]);
  assert.match(reason(judgeReaction(reacted, 'bob', '❤️', T + 4)), /newer reaction/);
  const changed = judgeReaction(reacted, 'bob', '❤️', T + 6);
  assert.ok(changed.ok);
  assert.deepEqual(applyMessageChange(reacted, changed.change).reactions, [{ user: 'bob', emoji: '❤️', sentAt: T + 6 }]);
  const removed = judgeReaction(reacted, 'bob', '', T + 7);
  assert.ok(removed.ok);
  assert.equal(applyMessageChange(reacted, removed.change).reactions, undefined);
});

test('a deleted message keeps nothing: no text, no file, no reactions, and stays deleted', () => {
  const full = { ...message, attachment: new Uint8Array([1]), reactions: [{ user: 'bob', emoji: '👍', sentAt: T }], replyTo: 'x' };
  const deleted = applyMessageChange(full, { messageId: 'm1', deletedAt: T + 1 });
  assert.deepEqual(deleted, { ...message, body: '', deletedAt: T + 1 });
  assert.equal(applyMessageChange(deleted, { messageId: 'm1', body: 'again', editedAt: T + 2 }), deleted);
});
