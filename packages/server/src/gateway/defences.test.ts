/**
 * @module gateway/defences.test
 * The defences over a real server and real WebSockets: limits by address behind a trusted proxy,
 * restricted accounts, anomaly reports and the threat notifications they lead to, lockdown mode.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AnomalyKind, checkThreatNotice, ContactAction, DeliveryKind, ErrorCode, FrameType, NoticeKind } from '@sotto/protocol';
import { startServer, type RunningServer } from '../server.js';
import { errorOf, makeIdentity, resultOf, WireClient, type WireIdentity } from './wire-client.js';

let counter = 0;
const username = (prefix = 'user'): string => `${prefix}${(counter += 1)}_${randomBytes(3).toString('hex')}`;

interface Member {
  client: WireClient;
  identity: WireIdentity;
  username: string;
  deviceId: string;
}

describe('defences over the wire', () => {
  let dir: string;
  let server: RunningServer;
  const clients: WireClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sotto-defences-'));
    server = await startServer({ dataDir: dir, port: 0, logLevel: 'silent', trustProxy: true, operatorContact: 'ops@example.org' });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(forwardedFor?: string): Promise<WireClient> {
    const client = await WireClient.connect(server.url, forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {});
    clients.push(client);
    return client;
  }

  async function member(prefix = 'user', forwardedFor?: string): Promise<Member> {
    const client = await connect(forwardedFor);
    const identity = makeIdentity();
    const name = username(prefix);
    const ok = await client.register(name, identity);
    await client.nextNotice(NoticeKind.MAILBOX_DRAINED);
    return { client, identity, username: name, deviceId: ok.deviceId };
  }

  async function befriend(a: Member, b: Member): Promise<void> {
    resultOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: b.username, text: 'hi' }), 'ok');
    b.client.ack([(await b.client.nextDelivery()).seq]);
    resultOf(await b.client.request(FrameType.CONTACT_RESPOND, { username: a.username, action: ContactAction.ACCEPT }), 'ok');
    a.client.ack([(await a.client.nextDelivery()).seq]);
  }

  test('registrations are limited per client address behind a trusted proxy, with retry_after_ms', async () => {
    for (let i = 0; i < 20; i += 1) await member('reg', '198.51.100.1, 203.0.113.50');
    const client = await connect('203.0.113.50');
    const refused = errorOf(await client.hello(client.registerHello(username('reg'), makeIdentity())), ErrorCode.RATE_LIMITED);
    assert.match(refused.message, /^Too many registrations from this address: at most 20 an hour\. Try again in \d+ s\.$/);
    assert.ok(refused.retryAfterMs > 170_000 && refused.retryAfterMs <= 180_000, String(refused.retryAfterMs));
    // Another address, and the proxy's own loopback, are not held back by that one.
    await member('reg', '203.0.113.51');
    await member('reg');
    // IPv6 clients count by their /64.
    for (let i = 0; i < 20; i += 1) await member('v6', `2001:db8:7:7::${i + 1}`);
    const sameNetwork = await connect('2001:db8:7:7:ffff::9');
    errorOf(await sameNetwork.hello(sameNetwork.registerHello(username('v6'), makeIdentity())), ErrorCode.RATE_LIMITED);
  });

  test('a report about a member who never reached the reporter counts for nothing; malformed reports are refused', async () => {
    const a = await member();
    const stranger = await member();
    const line = { senderUsername: stranger.username, senderDeviceId: stranger.deviceId, kind: AnomalyKind.MALFORMED, count: 5 };
    resultOf(await a.client.request(FrameType.REPORT_ANOMALIES, { reports: [line] }), 'ok');
    const bad: [string, object][] = [
      ['no lines', { reports: [] }],
      ['33 lines', { reports: Array(33).fill(line) }],
      ['about itself', { reports: [{ ...line, senderUsername: a.username }] }],
      ['a server-only kind', { reports: [{ ...line, kind: AnomalyKind.RATE_LIMITED }] }],
      ['an unknown kind', { reports: [{ ...line, kind: 99 }] }],
      ['a zero count', { reports: [{ ...line, count: 0 }] }],
      ['a huge count', { reports: [{ ...line, count: 10_001 }] }],
      ['a bad username', { reports: [{ ...line, senderUsername: 'NOT VALID' }] }],
    ];
    for (const [what, body] of bad) {
      const refused = await a.client.request(FrameType.REPORT_ANOMALIES, body as never);
      assert.equal(refused.result.case === 'error' && refused.result.value.code, ErrorCode.INVALID_ARGUMENT, what);
    }
    assert.equal((await server.store.tallyAnomalies({ sender: stranger.username, since: 0 })).length, 0);
  });

  test('one sender reported by three members is restricted, and each of them gets a threat notice', async () => {
    const mallory = await member('mallory');
    const reporters = await Promise.all([member(), member(), member()]);
    for (const r of reporters) await befriend(mallory, r);
    for (const r of reporters) {
      resultOf(await r.client.request(FrameType.REPORT_ANOMALIES, {
        reports: [{ senderUsername: mallory.username, senderDeviceId: mallory.deviceId, kind: AnomalyKind.CONSENT_VIOLATION, count: 2 }],
      }), 'ok');
    }
    for (const r of reporters) {
      const mail = await r.client.nextDelivery();
      assert.equal(mail.kind, DeliveryKind.THREAT_NOTICE);
      assert.equal(mail.senderUsername, '');
      const notice = checkThreatNotice(mail.payload);
      assert.ok(notice.ok);
      assert.deepEqual([notice.notice.senders, [...notice.notice.kinds], notice.notice.operatorContact], [1, [AnomalyKind.CONSENT_VIOLATION], 'ops@example.org']);
    }
    const [incident] = await server.store.listIncidents('open');
    assert.equal(incident?.rule, 'many-targets');
    assert.deepEqual(incident?.subjects, [mallory.username]);
    // Restricted: can still log in (and is told), cannot reach anyone.
    const again = await connect();
    const hello = await again.login(mallory.username, mallory.deviceId, mallory.identity);
    assert.equal(hello.restricted, true);
    errorOf(await again.request(FrameType.CONTACT_REQUEST, { toUsername: reporters[0]!.username, text: 'hi' }), ErrorCode.RESTRICTED);
    errorOf(await again.request(FrameType.CLAIM_KEY_PACKAGES, { username: reporters[0]!.username }), ErrorCode.RESTRICTED);
    errorOf(await again.request(FrameType.SEND, { groupId: randomBytes(32), messageId: randomBytes(16), payload: randomBytes(10) }), ErrorCode.RESTRICTED);
  });

  test('unanswered call attempts from three fresh accounts are a burst: the callers are restricted, the member warned', async () => {
    const target = await member('target');
    const callers = await Promise.all([member('burst'), member('burst'), member('burst')]);
    for (const c of callers) resultOf(await c.client.request(FrameType.CONTACT_REQUEST, { toUsername: target.username, text: '', call: true }), 'ok');
    const kinds: DeliveryKind[] = [];
    for (let i = 0; i < 4; i += 1) kinds.push((await target.client.nextDelivery()).kind);
    assert.deepEqual(kinds, [DeliveryKind.CALL_REQUEST, DeliveryKind.CALL_REQUEST, DeliveryKind.CALL_REQUEST, DeliveryKind.THREAT_NOTICE]);
    const burst = (await server.store.listIncidents('open')).find((i) => i.rule === 'fresh-account-burst' && i.targets.includes(target.username));
    assert.deepEqual([...(burst?.subjects ?? [])].sort(), callers.map((c) => c.username).sort());
    assert.ok(burst?.evidence.every((e) => e.kind === AnomalyKind.UNSOLICITED_CALL && e.reporter === ''));
  });

  test('lockdown is shared by the account\'s devices and refuses link-less requests, counting them', async () => {
    const ada = await member('ada');
    const stranger = await member('stranger');
    const state = resultOf(await ada.client.request(FrameType.SET_LOCKDOWN, { enabled: true }), 'lockdown');
    assert.deepEqual([state.enabled, state.refused], [true, 0]);
    await ada.client.nextNotice(NoticeKind.LOCKDOWN_CHANGED);
    errorOf(await stranger.client.request(FrameType.CONTACT_REQUEST, { toUsername: ada.username, text: 'hi' }), ErrorCode.LINK_REQUIRED);
    const counted = await ada.client.nextNotice(NoticeKind.LOCKDOWN_CHANGED);
    assert.deepEqual([counted.lockdown?.enabled, counted.lockdown?.refused], [true, 1]);
    const link = resultOf(await ada.client.request(FrameType.CREATE_CONTACT_LINK, { ttlHours: 1 }), 'contactLink');
    assert.equal(link.token.byteLength, 16);
    errorOf(await ada.client.request(FrameType.CREATE_CONTACT_LINK, { ttlHours: 721 }), ErrorCode.INVALID_ARGUMENT);
    errorOf(await stranger.client.request(FrameType.CONTACT_REQUEST, { toUsername: ada.username, text: 'hi', linkToken: randomBytes(15) }), ErrorCode.INVALID_ARGUMENT);
    resultOf(await stranger.client.request(FrameType.CONTACT_REQUEST, { toUsername: ada.username, text: 'hi', linkToken: link.token }), 'ok');
    const delivered = await ada.client.nextDelivery();
    assert.equal(delivered.kind, DeliveryKind.LINKED_CONTACT_REQUEST);
    // A new connection (as any other device of ada's) learns the state at its hello.
    const later = await connect();
    const hello = await later.login(ada.username, ada.deviceId, ada.identity);
    assert.deepEqual([hello.lockdown?.enabled, hello.lockdown?.refused], [true, 1]);
  });
});
