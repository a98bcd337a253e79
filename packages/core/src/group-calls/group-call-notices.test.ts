import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredMessage } from '../ports.js';
import { GROUP_CALL_NOTICE_TTL_MS, groupCallNoticeText, participantsFrom } from './group-call-notices.js';

let next = 0;
function notice(sender: string, device: string, kind: 'call-joined' | 'call-left', sentAt: number): StoredMessage {
  return {
    messageId: String(next++), groupId: 'g', sender, senderDevice: device, body: groupCallNoticeText(sender, 'me', kind),
    sentAt, receivedAt: sentAt, outgoing: false, status: 'read', notice: kind,
  };
}

test('who is in the call: each device\'s latest notice, joined and younger than the time to live', () => {
  const now = 10 * GROUP_CALL_NOTICE_TTL_MS;
  const text: StoredMessage = { messageId: 'x', groupId: 'g', sender: 'eve', senderDevice: 'e1', body: 'eve joined the call', sentAt: now - 5, receivedAt: now - 5, outgoing: false, status: 'read' };
  const messages = [
    notice('ana', 'a1', 'call-joined', now - 1000),
    notice('ben', 'b1', 'call-joined', now - 900),
    notice('ben', 'b1', 'call-left', now - 800),
    notice('ben', 'b2', 'call-joined', now - 700), // ben's second device is still in
    notice('cat', 'c1', 'call-left', now - 600),
    notice('cat', 'c1', 'call-joined', now - 500), // cat rejoined
    notice('dan', 'd1', 'call-joined', now - GROUP_CALL_NOTICE_TTL_MS - 1), // a crash long ago
    text, // a text that reads like a notice is not one
  ];
  assert.deepEqual(participantsFrom(messages, now), [{ user: 'ana', device: 'a1' }, { user: 'ben', device: 'b2' }, { user: 'cat', device: 'c1' }]);
  assert.deepEqual(participantsFrom([], now), []);
});

test('the chat line names the member, or "You"', () => {
  assert.equal(groupCallNoticeText('ana', 'ben', 'call-joined'), 'ana joined the call');
  assert.equal(groupCallNoticeText('ben', 'ben', 'call-left'), 'You left the call');
});
