/** @module calls/same-network.test: what counts as this device's own network for a peer's private candidate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp, type IpAddress } from './ip-address.js';
import { sameNetwork, sharesNetwork } from './same-network.js';

const ip = (text: string): IpAddress => {
  const parsed = parseIp(text);
  assert.ok(parsed, text);
  return parsed;
};

test('IPv4 addresses share a network when their first three octets match (a /24)', () => {
  assert.ok(sameNetwork(ip('192.168.1.7'), ip('192.168.1.200')));
  assert.ok(sameNetwork(ip('10.20.30.1'), ip('10.20.30.254')));
  assert.ok(!sameNetwork(ip('192.168.1.7'), ip('192.168.2.7')));
  assert.ok(!sameNetwork(ip('10.20.30.1'), ip('10.20.31.1')));
  assert.ok(!sameNetwork(ip('10.0.0.1'), ip('11.0.0.1')));
});

test('IPv6 addresses share a network when their first four groups match (a /64)', () => {
  assert.ok(sameNetwork(ip('fd12:3456:789a:1::7'), ip('fd12:3456:789a:1:ffff:ffff:ffff:ffff')));
  assert.ok(!sameNetwork(ip('fd12:3456:789a:1::7'), ip('fd12:3456:789a:2::7')));
});

test('an IPv4 address never shares a network with an IPv6 one, even an IPv4-mapped form of it', () => {
  assert.ok(!sameNetwork(ip('192.168.1.7'), ip('::ffff:192.168.1.7')));
  assert.ok(!sameNetwork(ip('::ffff:192.168.1.7'), ip('192.168.1.7')));
});

test('sharesNetwork: any one of this device\'s host addresses will do; none means no', () => {
  const mine = [ip('203.0.113.5'), ip('192.168.1.7'), ip('fd12:3456:789a:1::7')];
  assert.ok(sharesNetwork(ip('192.168.1.20'), mine));
  assert.ok(sharesNetwork(ip('fd12:3456:789a:1::20'), mine));
  assert.ok(!sharesNetwork(ip('10.0.0.20'), mine));
  assert.ok(!sharesNetwork(ip('192.168.1.20'), []));
});
