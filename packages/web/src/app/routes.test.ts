import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToView, needsLookup, resolveRoute, viewToHash, type Known, type Route } from './routes.js';
import type { View } from './view.js';

const GROUP = 'ab'.repeat(32);
const CHATS = { kind: 'chats' };

test('every view round-trips through its address (a group keeps only its id)', () => {
  const views: View[] = [
    { kind: 'chats' }, { kind: 'new-group' }, { kind: 'contacts' }, { kind: 'calls' }, { kind: 'settings' },
    { kind: 'chat', chat: { kind: 'direct', peer: 'bob' } },
    { kind: 'chat', chat: { kind: 'direct', peer: 'a.b-c_d' } },
    { kind: 'verify', peer: 'carol' },
  ];
  for (const view of views) assert.deepEqual(hashToView(viewToHash(view)), view, viewToHash(view));
  assert.equal(viewToHash({ kind: 'chat', chat: { kind: 'group', groupId: GROUP, name: 'club' } }), `#/chat/g/${GROUP}`);
  assert.deepEqual(hashToView(`#/chat/g/${GROUP}`), { kind: 'chat', chat: { kind: 'group', groupId: GROUP } });
  assert.equal(viewToHash({ kind: 'group-info', groupId: GROUP, name: 'club' }), `#/group/${GROUP}/info`);
  assert.deepEqual(hashToView(`#/group/${GROUP}/info`), { kind: 'group-info', groupId: GROUP });
});

test('the addresses are the documented ones', () => {
  assert.equal(viewToHash({ kind: 'chats' }), '#/chats');
  assert.equal(viewToHash({ kind: 'settings' }), '#/settings');
  assert.equal(viewToHash({ kind: 'chat', chat: { kind: 'direct', peer: 'bob' } }), '#/chat/d/bob');
  assert.equal(viewToHash({ kind: 'verify', peer: 'bob' }), '#/verify/bob');
});

test('no hash, an empty one and the entry points of other screens are the chat list', () => {
  for (const hash of ['', '#', '#/', '#//', '#add=alice/AAAAAAAAAAAAAAAAAAAAAA', '#link=abcd-efgh', 'chats', '/chats', '#chats']) {
    assert.deepEqual(hashToView(hash), CHATS, JSON.stringify(hash));
  }
});

test('hostile and malformed addresses are the chat list', () => {
  const hostile = [
    '#/chat/d/../../x', '#/chat/d/..', '#/chat/d/%2e%2e', '#/chat/d/bob%2Fx', '#/chat/d/Bob', '#/chat/d/bo', '#/chat/d/.bob',
    `#/chat/d/${'a'.repeat(33)}`, '#/chat/d/', '#/chat/d', '#/chat/d/bob/', '#/chat/d/bob/extra', '#/chat/x/bob',
    '#/chat/d/<script>', '#/chat/d/bob?x=1', '#/chat/d/ bob', '#/chat/d/bob\u202e', '#/chat/d/аlice' /* Cyrillic a */,
    '#/chat/g/not-hex', `#/chat/g/${'g'.repeat(64)}`, `#/chat/g/${'AB'.repeat(32)}`, `#/chat/g/${'ab'.repeat(31)}`, `#/chat/g/${'ab'.repeat(33)}`,
    `#/group/${GROUP}`, `#/group/${GROUP}/members`, `#/group/xyz/info`, `#/group/${GROUP}/info/x`,
    '#/verify/', '#/verify/../x', '#/verify/bob/x', '#/Settings', '#/settings/', '#/settings/x', '#/constructor', '#/__proto__', '#/toString',
    '#/javascript:alert(1)', `#/chat/d/bob${'/'.repeat(500)}`,
  ];
  for (const hash of hostile) assert.deepEqual(hashToView(hash), CHATS, JSON.stringify(hash));
});

test('a very long address is not parsed at all', () => {
  assert.deepEqual(hashToView(`#/chat/d/${'a'.repeat(100_000)}`), CHATS);
  assert.deepEqual(hashToView(`#/settings${' '.repeat(10_000)}`), CHATS);
  // The longest real address is well inside the limit.
  assert.deepEqual(hashToView(`#/group/${GROUP}/info`).kind, 'group-info');
});

const known: Known = { groups: new Map([[GROUP, 'club']]), peers: new Set(['bob']) };

test('a group chat\'s name comes from the engine\'s conversations, not the address', () => {
  assert.deepEqual(resolveRoute(hashToView(`#/chat/g/${GROUP}`), known), { view: { kind: 'chat', chat: { kind: 'group', groupId: GROUP, name: 'club' } }, missing: false });
  assert.deepEqual(resolveRoute(hashToView(`#/group/${GROUP}/info`), known), { view: { kind: 'group-info', groupId: GROUP, name: 'club' }, missing: false });
});

test('a chat, group or peer that is not here is the chat list, marked missing', () => {
  const other = 'cd'.repeat(32);
  const gone = { view: CHATS, missing: true };
  assert.deepEqual(resolveRoute(hashToView(`#/chat/g/${other}`), known), gone);
  assert.deepEqual(resolveRoute(hashToView(`#/group/${other}/info`), known), gone);
  assert.deepEqual(resolveRoute(hashToView('#/chat/d/mallory'), known), gone);
  assert.deepEqual(resolveRoute(hashToView('#/verify/mallory'), known), gone);
  assert.deepEqual(resolveRoute(hashToView('#/chat/d/bob'), known), { view: { kind: 'chat', chat: { kind: 'direct', peer: 'bob' } }, missing: false });
  assert.deepEqual(resolveRoute(hashToView('#/verify/bob'), known), { view: { kind: 'verify', peer: 'bob' }, missing: false });
});

test('screens without a chat need no lookup and are never missing', () => {
  for (const kind of ['chats', 'new-group', 'contacts', 'calls', 'settings'] as const) {
    const route: Route = { kind };
    assert.equal(needsLookup(route), false);
    assert.deepEqual(resolveRoute(route, { groups: new Map(), peers: new Set() }), { view: route, missing: false });
  }
  assert.equal(needsLookup(hashToView('#/chat/d/bob')), true);
  assert.equal(needsLookup(hashToView(`#/group/${GROUP}/info`)), true);
});
