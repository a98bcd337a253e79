/** @module calls/candidate-filter.test: candidate grammar, strict IP parsing and every refusal code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseCandidate, filterCandidate, checkRemoteCandidate, candidatePolicy, DEFAULT_CANDIDATE_POLICY,
  parseIpv4, parseIpv6, classifyIp, parseIp,
} from './index.js';
import type { CandidateErrorCode, CandidatePolicy, IpAddress, ParsedCandidate } from './index.js';

const HOST = 'candidate:842163049 1 udp 2122260223 192.168.1.20 54321 typ host generation 0 ufrag Fq3T network-id 1';
const SRFLX = 'candidate:1467250027 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321 generation 0';
const RELAY = 'candidate:3 1 udp 16777215 198.51.100.9 61000 typ relay raddr 203.0.113.7 rport 54321';

function parsed(line: string): ParsedCandidate {
  const r = parseCandidate(line);
  assert.ok(r.ok, `expected ${line} to parse: ${r.ok ? '' : r.message}`);
  return r.candidate;
}
const withAddress = (address: string, type = 'host', port = 5000) => `candidate:1 1 udp 2122260223 ${address} ${port} typ ${type}`;
const ip = (text: string): IpAddress => {
  const parsed = parseIp(text);
  assert.ok(parsed, text);
  return parsed;
};
/** This device's own host candidates on a home LAN and an IPv6 ULA network. */
const AT_HOME = candidatePolicy({ localHosts: [ip('192.168.1.7'), ip('fd12:3456:789a:1::7')] });

function expectRefused(line: string, code: CandidateErrorCode, policy: CandidatePolicy = DEFAULT_CANDIDATE_POLICY, count = 0): void {
  const r = checkRemoteCandidate(line, policy, count);
  assert.equal(r.ok, false, `expected ${line} to be refused with ${code}`);
  if (!r.ok) {
    assert.equal(r.code, code, `${line}: ${r.message}`);
    assert.ok(r.message.length > 5, 'a human message');
  }
}

test('Chrome-like host, srflx and werift-like relay candidates parse and pass the default policy', () => {
  const h = parsed(HOST);
  assert.equal(h.foundation, '842163049');
  assert.equal(h.component, 1);
  assert.equal(h.transport, 'udp');
  assert.equal(h.priority, 2122260223);
  assert.equal(h.port, 54321);
  assert.equal(h.type, 'host');
  assert.deepEqual(h.extensions, [['generation', '0'], ['ufrag', 'Fq3T'], ['network-id', '1']]);
  const s = parsed(SRFLX);
  assert.equal(s.relatedAddress, '192.168.1.20');
  assert.equal(s.relatedPort, 54321);
  for (const line of [SRFLX, RELAY, `a=${RELAY}`, withAddress('2001:db8::1'), 'candidate:1 1 UDP 1 203.0.113.1 1024 typ host raddr 0.0.0.0 rport 0']) {
    assert.ok(checkRemoteCandidate(line, DEFAULT_CANDIDATE_POLICY, 0).ok, line);
  }
  // The host candidate is on a private LAN: it passes only for a device on that LAN too.
  assert.ok(checkRemoteCandidate(HOST, AT_HOME, 0).ok);
});

test('malformed candidates are MALFORMED', () => {
  const bad = [
    '', 'candidate:', 'foo:1 1 udp 1 1.2.3.4 5 typ host', 'candidate:1 1 udp 1 1.2.3.4 5 typ', 'candidate:1 1 udp 1 1.2.3.4 5 type host',
    'candidate:1  1 udp 1 1.2.3.4 5 typ host', 'candidate:1 1 udp 1 1.2.3.4 5 typ host ', 'candidate:1 1 udp 1 1.2.3.4 5 typ host generation',
    'candidate:f_oo 1 udp 1 1.2.3.4 5 typ host', `candidate:${'a'.repeat(33)} 1 udp 1 1.2.3.4 5 typ host`,
    'candidate:1 0 udp 1 1.2.3.4 5 typ host', 'candidate:1 257 udp 1 1.2.3.4 5 typ host',
    'candidate:1 1 udp 0 1.2.3.4 5 typ host', 'candidate:1 1 udp 2147483648 1.2.3.4 5 typ host', 'candidate:1 1 udp -1 1.2.3.4 5 typ host',
    'candidate:1 1 udp 1 1.2.3.4 0 typ host', 'candidate:1 1 udp 1 1.2.3.4 65536 typ host', 'candidate:1 1 udp 1 1.2.3.4 05x typ host',
    'candidate:1 1 udp 1 fe80::1%eth0 5 typ host', 'candidate:1 1 udp 1 [::1] 5 typ host', 'candidate:1 1 udp 1 1.2.3 5 typ host',
    'candidate:1 1 udp 1 01.2.3.4 5 typ host', 'candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr evil.example rport 1',
    'candidate:1 1 udp 1 1.2.3.4 5 typ srflx rport 70000', 'candidate:1 1 udp 1 1.2.3.4 5 typ host generation 0 generation 1',
    'candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=candidate:2 1 udp 1 127.0.0.1 5 typ host', 'candidate:1 1 udp 1 1.2.3.4 5 typ host é 1',
    `candidate:1 1 udp 1 1.2.3.4 5 typ host ${Array.from({ length: 9 }, (_, i) => `x${i} 1`).join(' ')}`,
    `candidate:1 1 udp 1 1.2.3.4 5 typ host x ${'v'.repeat(65)}`, `candidate:1 1 udp 1 1.2.3.4 5 typ host ${'x'.repeat(1100)} 1`,
  ];
  for (const line of bad) expectRefused(line, 'MALFORMED');
});

test('TCP candidates are BAD_TRANSPORT and prflx or unknown types BAD_TYPE', () => {
  expectRefused('candidate:1 1 tcp 1518280447 203.0.113.7 9 typ host tcptype active generation 0', 'BAD_TRANSPORT');
  expectRefused('candidate:1 1 TCP 1 203.0.113.7 9 typ host tcptype passive', 'BAD_TRANSPORT');
  expectRefused(withAddress('203.0.113.7', 'prflx'), 'BAD_TYPE');
  expectRefused(withAddress('203.0.113.7', 'magic'), 'BAD_TYPE');
});

test('address classes are refused with their own codes', () => {
  const cases: [string, CandidateErrorCode][] = [
    ['127.0.0.1', 'LOOPBACK'], ['127.255.0.9', 'LOOPBACK'], ['::1', 'LOOPBACK'], ['::ffff:127.0.0.1', 'LOOPBACK'],
    ['169.254.10.20', 'LINK_LOCAL'], ['fe80::1', 'LINK_LOCAL'], ['febf:ffff::1', 'LINK_LOCAL'],
    ['169.254.169.254', 'METADATA'], ['fd00:ec2::254', 'METADATA'], ['FD00:0EC2:0:0:0:0:0:254', 'METADATA'], ['100.100.100.200', 'METADATA'],
    ['::ffff:169.254.169.254', 'METADATA'],
    // Translated forms of IPv4 (found by fuzzing): NAT64 and IPv4-translated reach the embedded address.
    ['64:ff9b::169.254.169.254', 'METADATA'], ['64:ff9b::7f00:1', 'LOOPBACK'], ['::ffff:0:169.254.1.1', 'LINK_LOCAL'], ['::ffff:0:127.0.0.1', 'LOOPBACK'],
    ['0.0.0.0', 'UNSPECIFIED'], ['0.1.2.3', 'UNSPECIFIED'], ['::', 'UNSPECIFIED'], ['0:0:0:0:0:0:0:0', 'UNSPECIFIED'],
    ['224.0.0.251', 'MULTICAST'], ['239.255.255.250', 'MULTICAST'], ['ff02::fb', 'MULTICAST'],
    ['255.255.255.255', 'BROADCAST'], ['240.0.0.1', 'RESERVED'], ['::1.2.3.4', 'RESERVED'], ['fec0::1', 'RESERVED'],
    ['4f1e3a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b.local', 'MDNS'], ['printer.LOCAL', 'MDNS'], ['evil.example.com', 'HOSTNAME'], ['localhost', 'HOSTNAME'],
  ];
  for (const [address, code] of cases) expectRefused(withAddress(address), code);
});

test('policy switches: loopback, link-local, private, relay-only; metadata stays refused', () => {
  const lenient = candidatePolicy({ allowLoopback: true, allowLinkLocal: true });
  assert.ok(checkRemoteCandidate(withAddress('127.0.0.1'), lenient, 0).ok);
  assert.ok(checkRemoteCandidate(withAddress('::1'), lenient, 0).ok);
  assert.ok(checkRemoteCandidate(withAddress('169.254.1.1'), lenient, 0).ok);
  expectRefused(withAddress('169.254.169.254'), 'METADATA', lenient);
  const noPrivate = candidatePolicy({ allowPrivate: false, localHosts: [ip('10.0.0.7'), ip('192.168.0.7')] });
  for (const a of ['10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', '100.64.0.1', 'fd12:3456::1', '::ffff:10.1.2.3']) {
    expectRefused(withAddress(a), 'PRIVATE', noPrivate);
  }
  assert.ok(checkRemoteCandidate(withAddress('172.32.0.1'), noPrivate, 0).ok, '172.32/16 is public');
  const relayOnly = candidatePolicy({ relayOnly: true });
  expectRefused(HOST, 'NOT_RELAY', relayOnly);
  expectRefused(SRFLX, 'NOT_RELAY', relayOnly);
  assert.ok(checkRemoteCandidate(RELAY, relayOnly, 0).ok);
  // A relay on this machine (coturn on 127.0.0.1 in tests) needs allowLoopback too.
  expectRefused(withAddress('127.0.0.1', 'relay'), 'LOOPBACK', relayOnly);
  assert.ok(checkRemoteCandidate(withAddress('127.0.0.1', 'relay'), candidatePolicy({ relayOnly: true, allowLoopback: true }), 0).ok);
});

test('hole 3: a private candidate passes only in a network of one of this device\'s own host candidates', () => {
  // With no host candidate of its own (nothing gathered yet, or relay-only), every private range is refused.
  for (const a of ['10.1.2.3', '172.16.0.1', '172.31.9.9', '192.168.1.20', '100.64.0.1', '100.127.255.254', 'fc00::1', 'fd12:3456:789a:1::20']) {
    expectRefused(withAddress(a), 'PRIVATE');
  }
  // On this device's own /24 and /64: accepted, whatever the candidate type.
  for (const a of ['192.168.1.1', '192.168.1.20', '192.168.1.254', 'fd12:3456:789a:1::20', 'fd12:3456:789a:1:ffff::1']) {
    for (const type of ['host', 'srflx', 'relay']) assert.ok(checkRemoteCandidate(withAddress(a, type), AT_HOME, 0).ok, `${a} ${type}`);
  }
  // Next door is not home: another /24 of the same range, another /64, another private range.
  for (const a of ['192.168.2.20', '192.168.0.1', '10.0.0.1', '172.16.1.7', '100.64.1.7', 'fd12:3456:789a:2::20', 'fd00::7', '::ffff:192.168.1.20']) {
    expectRefused(withAddress(a), 'PRIVATE', AT_HOME);
  }
  const refusal = checkRemoteCandidate(withAddress('10.0.0.1'), AT_HOME, 0);
  assert.match(refusal.ok ? '' : refusal.message, /outside this device's own networks/);
  // Relay-only and lockdown calls allow no private address at all, even on this device's LAN.
  expectRefused(withAddress('192.168.1.20', 'relay'), 'PRIVATE', candidatePolicy({ relayOnly: true, allowPrivate: false, localHosts: [ip('192.168.1.7')] }));
  // Public and link-local rules are unchanged by what this device has.
  assert.ok(checkRemoteCandidate(withAddress('203.0.113.9'), AT_HOME, 0).ok);
  expectRefused(withAddress('169.254.1.1'), 'LINK_LOCAL', candidatePolicy({ localHosts: [ip('169.254.1.7')] }));
});

test('hole 3: a peer candidate on a privileged port (below 1024) is refused, whatever its address', () => {
  const lenient = candidatePolicy({ allowLoopback: true, localHosts: [ip('192.168.1.7')] });
  for (const port of [1, 22, 53, 80, 123, 161, 443, 1023]) {
    for (const address of ['203.0.113.9', '2001:db8::9', '192.168.1.20', '127.0.0.1']) {
      expectRefused(withAddress(address, 'host', port), 'PRIVILEGED_PORT', lenient);
    }
    expectRefused(withAddress('198.51.100.9', 'relay', port), 'PRIVILEGED_PORT');
  }
  for (const port of [1024, 3478, 50000, 65535]) assert.ok(checkRemoteCandidate(withAddress('203.0.113.9', 'host', port), lenient, 0).ok, String(port));
  // The related port is information only (Chrome sends 0): never checked against this rule.
  assert.ok(checkRemoteCandidate('candidate:1 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 0.0.0.0 rport 0', lenient, 0).ok);
  const refusal = checkRemoteCandidate(withAddress('203.0.113.9', 'host', 53), lenient, 0);
  assert.match(refusal.ok ? '' : refusal.message, /port below 1024/);
});

test('count cap: TOO_MANY once countSoFar reaches maxCandidates; bad caps mean zero, never unbounded', () => {
  assert.equal(DEFAULT_CANDIDATE_POLICY.maxCandidates, 20);
  assert.ok(filterCandidate(parsed(SRFLX), DEFAULT_CANDIDATE_POLICY, 19).ok);
  expectRefused(SRFLX, 'TOO_MANY', DEFAULT_CANDIDATE_POLICY, 20);
  expectRefused('garbage', 'TOO_MANY', DEFAULT_CANDIDATE_POLICY, 20);
  for (const maxCandidates of [NaN, Infinity, -1, 1.5]) {
    expectRefused(HOST, 'TOO_MANY', candidatePolicy({ maxCandidates }), 0);
  }
});

test('strict IPv4 and IPv6 parsing', () => {
  for (const good of ['0.0.0.0', '255.255.255.255', '1.2.3.4']) assert.ok(parseIpv4(good), good);
  for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', '0x7f.0.0.1', '1..2.3', '', '1.2.3.-4', '١.2.3.4']) {
    assert.equal(parseIpv4(bad), null, bad);
  }
  assert.deepEqual(parseIpv6('2001:db8::1'), { family: 6, groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1] });
  assert.deepEqual(parseIpv6('::ffff:1.2.3.4'), { family: 6, groups: [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304] });
  assert.deepEqual(parseIpv6('1:2:3:4:5:6:7:8'), { family: 6, groups: [1, 2, 3, 4, 5, 6, 7, 8] });
  assert.deepEqual(parseIpv6('1::'), { family: 6, groups: [1, 0, 0, 0, 0, 0, 0, 0] });
  for (const bad of [':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '::1%lo', '[::1]',
    '1:2:3:4:5:6:7::8', '1.2.3.4::', '::1.2.3', ':1::', '1::2:']) {
    assert.equal(parseIpv6(bad), null, bad);
  }
  const v4 = parseIpv4('8.8.8.8');
  assert.ok(v4);
  assert.equal(classifyIp(v4), 'public');
  // Local NAT64 prefixes and translated private addresses are private networks.
  assert.equal(classifyIp(parseIpv6('64:ff9b:1::a00:1')!), 'private');
  assert.equal(classifyIp(parseIpv6('::ffff:0:10.0.0.1')!), 'private');
  assert.equal(classifyIp(parseIpv6('64:ff9b::203.0.113.9')!), 'public');
});

test('property: parseCandidate and checkRemoteCandidate never throw on arbitrary input', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.nat(40), (s, n) => {
    const a = checkRemoteCandidate(s, DEFAULT_CANDIDATE_POLICY, n);
    const b = checkRemoteCandidate(`candidate:${s}`, DEFAULT_CANDIDATE_POLICY, n);
    return typeof a.ok === 'boolean' && typeof b.ok === 'boolean';
  }), { numRuns: 500 });
});

test('property: every accepted candidate has a public IP literal, a UDP transport and an unprivileged port', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
  const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
  fc.assert(fc.property(fc.oneof(ipv4, ipv6), fc.constantFrom('host', 'srflx', 'relay'), (address, type) => {
    const r = checkRemoteCandidate(withAddress(address, type), DEFAULT_CANDIDATE_POLICY, 0);
    if (!r.ok) return true;
    const accepted = r.candidate.ip;
    // The default policy has no host candidate of its own, so no private address passes it.
    return accepted !== null && classifyIp(accepted) === 'public' && r.candidate.transport === 'udp' && r.candidate.port >= 1024;
  }), { numRuns: 1000 });
});
