import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SottoClient, StoredConversation } from '@sotto/core';
import { resolveDirect, resolveGroup } from './conversation-names.js';

const group = (groupId: string, name: string, active = true) => ({ groupId, name, kind: 'group', active }) as StoredConversation;

/** Only what resolving reads: the stored conversations and, for a 1:1, openDirect. */
function clientWith(conversations: StoredConversation[], opened: string[] = []): SottoClient {
  return {
    listConversations: async () => conversations,
    openDirect: async (username: string) => {
      opened.push(username);
      return `direct-with-${username}`;
    },
  } as unknown as SottoClient;
}

test('a group is found by its exact name or by an id prefix of 8 or more characters', async () => {
  const client = clientWith([group('aaaaaaaa11112222', 'club'), group('bbbbbbbb33334444', 'choir'), group('cccccccc55556666', 'club', false)]);
  assert.equal(await resolveGroup(client, 'club'), 'aaaaaaaa11112222', 'the group left is not a candidate');
  assert.equal(await resolveGroup(client, 'bbbbbbbb'), 'bbbbbbbb33334444');
  await assert.rejects(resolveGroup(client, 'bbbb'), /No group named "bbbb"/, 'a short prefix is a name');
  await assert.rejects(resolveGroup(client, 'band'), (e: Error & { code?: string }) => e.code === 'UNKNOWN_GROUP');
});

test('two groups with the same name are refused with both ids to choose from', async () => {
  const client = clientWith([group('aaaaaaaa11112222ffff', 'club'), group('bbbbbbbb33334444ffff', 'club')]);
  await assert.rejects(resolveGroup(client, 'club'), (e: Error & { code?: string }) =>
    e.code === 'INVALID_INPUT' && /2 groups are named "club"/.test(e.message) && e.message.includes('aaaaaaaa11112222') && e.message.includes('bbbbbbbb33334444'));
  assert.equal(await resolveGroup(client, 'bbbbbbbb3333'), 'bbbbbbbb33334444ffff', 'either one by its id');
});

test('a bad message is refused before any conversation is looked up or started', async () => {
  const opened: string[] = [];
  const client = clientWith([group('aaaaaaaa11112222', 'club')], opened);
  await assert.rejects(resolveDirect(client, 'bob', ''), /Messages are 1-/);
  await assert.rejects(resolveGroup(client, 'nosuch', ''), /Messages are 1-/);
  assert.deepEqual(opened, []);
  assert.equal(await resolveDirect(client, 'bob', 'hi'), 'direct-with-bob');
  assert.deepEqual(opened, ['bob']);
});
