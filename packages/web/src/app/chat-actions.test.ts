import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredMessage } from '@sotto/core';
import { sendToChat, type ChatSender } from './chat-actions.js';

/** Records what reached the engine, by conversation id. */
function recordingEngine(directs: Record<string, string>) {
  const sent: { conversationId: string; text: string }[] = [];
  const opened: string[] = [];
  const engine: ChatSender = {
    async openDirect(username: string) {
      opened.push(username);
      return directs[username]!;
    },
    async sendText(conversationId: string, text: string) {
      sent.push({ conversationId, text });
      return { messageId: String(sent.length), groupId: conversationId, body: text } as StoredMessage;
    },
  };
  return { engine, sent, opened };
}

test('two groups with the same name are each sent to by their own id', async () => {
  const { engine, sent } = recordingEngine({});
  await sendToChat(engine, { kind: 'group', groupId: 'aaaa', name: 'club' }, 'to the first');
  await sendToChat(engine, { kind: 'group', groupId: 'bbbb', name: 'club' }, 'to the second');
  assert.deepEqual(sent, [
    { conversationId: 'aaaa', text: 'to the first' },
    { conversationId: 'bbbb', text: 'to the second' },
  ]);
});

test('a direct chat goes through the conversation the engine keeps with the peer; bad text starts nothing', async () => {
  const { engine, sent, opened } = recordingEngine({ bob: 'd1' });
  await sendToChat(engine, { kind: 'direct', peer: 'bob' }, 'hi');
  assert.deepEqual(sent, [{ conversationId: 'd1', text: 'hi' }]);
  await assert.rejects(sendToChat(engine, { kind: 'direct', peer: 'bob' }, ''), /Messages are 1-/);
  assert.deepEqual(opened, ['bob'], 'no conversation looked up or started for an empty message');
});
