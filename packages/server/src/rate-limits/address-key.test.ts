import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey, clientAddress } from './address-key.js';

test('IPv4 addresses are their own key; loopback is not limited', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('127.0.0.1'), undefined);
  assert.equal(addressKey('::ffff:127.0.0.1'), undefined);
});

test('IPv6 addresses are limited by their /64', () => {
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), undefined);
});

test('garbage and absent addresses are not keys', () => {
  assert.equal(addressKey(undefined), undefined);
  assert.equal(addressKey(''), undefined);
  assert.equal(addressKey('not-an-ip'), undefined);
});

test('X-Forwarded-For is believed only from a loopback proxy, and only when trusted', () => {
  assert.equal(clientAddress('127.0.0.1', '198.51.100.1, 203.0.113.9', true), '203.0.113.9');
  assert.equal(clientAddress('127.0.0.1', '203.0.113.9', false), '127.0.0.1');
  assert.equal(clientAddress('198.51.100.5', '203.0.113.9', true), '198.51.100.5');
  assert.equal(clientAddress('127.0.0.1', 'bogus', true), '127.0.0.1');
  assert.equal(clientAddress('127.0.0.1', ['10.0.0.1', '203.0.113.4'], true), '203.0.113.4');
});
