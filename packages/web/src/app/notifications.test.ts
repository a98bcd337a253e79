import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callNotificationTitle, isMuted, messageNotificationTitle, nameToShow, tabTitle } from './notifications.js';

test('the tab title counts unread messages, and says only "Sotto" without any', () => {
  assert.equal(tabTitle(0), 'Sotto');
  assert.equal(tabTitle(3), '(3) Sotto');
  assert.equal(tabTitle(5000), '(999+) Sotto');
});

test('a notification names the contact by display name, else by username, and nothing else', () => {
  assert.equal(nameToShow('bob', 'Bob Marley'), 'Bob Marley');
  assert.equal(nameToShow('bob', '  '), 'bob');
  assert.equal(nameToShow('bob', undefined), 'bob');
  assert.equal(messageNotificationTitle('Bob'), 'New message from Bob');
  assert.equal(callNotificationTitle('Bob'), 'Bob is calling');
});

test('a chat muted for ever or until later notifies nothing; an expired mute does', () => {
  assert.equal(isMuted(-1, 1000), true);
  assert.equal(isMuted(2000, 1000), true);
  assert.equal(isMuted(500, 1000), false);
  assert.equal(isMuted(undefined, 1000), false);
});
