import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noticeForWarning, noticesForChange } from './device-notices.js';

const change = { version: 2n, firstSight: false, added: [] as string[], removed: [] as string[] };

test("a contact's linked and removed devices are said in their words; a first sight says nothing", () => {
  assert.deepEqual(noticesForChange({ ...change, username: 'alice', added: ['a2'] }, 'bob').map((n) => [n.text, n.about]), [['alice linked a new device', 'contact']]);
  assert.deepEqual(noticesForChange({ ...change, username: 'alice', removed: ['a2', 'a3'] }, 'bob').map((n) => n.text), ['alice removed 2 devices']);
  assert.deepEqual(noticesForChange({ ...change, username: 'alice', added: ['a1'], firstSight: true }, 'bob'), []);
});

test("this account's own new device names it and says how to remove it", () => {
  const [notice] = noticesForChange({ ...change, username: 'bob', added: ['b2'] }, 'bob');
  assert.equal(notice?.about, 'own');
  assert.match(notice?.text ?? '', /^Your account has a new device: b2\. If it was not you who linked it, remove it/);
});

test('a refused list is a warning about the account it names', () => {
  assert.deepEqual(noticeForWarning({ username: 'alice', reason: 'refused' }, 'bob'), { key: 'alice:warning:refused', username: 'alice', about: 'contact', tone: 'warning', text: 'refused' });
});

test('one change reported twice has one key', () => {
  const twice = [1, 2].map(() => noticesForChange({ ...change, username: 'alice', added: ['a2'] }, 'bob')[0]?.key);
  assert.equal(twice[0], twice[1]);
  assert.notEqual(twice[0], noticesForChange({ ...change, version: 3n, username: 'alice', added: ['a2'] }, 'bob')[0]?.key);
});
