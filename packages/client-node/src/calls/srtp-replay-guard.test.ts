import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtcpRrPacket,
  RtpHeader,
  SrtcpSession,
  SrtpAuthenticationError,
  SrtpSession,
  type RTCDtlsTransport,
} from 'werift';
import { MAX_PEER_SSRCS, SrtpReplayError, SrtpReplayGuard } from './srtp-replay-guard.js';

const PROFILES = [
  { name: 'AEAD_AES_128_GCM', profile: ProtectionProfileAeadAes128Gcm, saltLength: 12 },
  { name: 'AES128_CM_HMAC_SHA1_80', profile: ProtectionProfileAes128CmHmacSha1_80, saltLength: 14 },
] as const;

/** Keys as DTLS-SRTP hands them out: what one side encrypts with, the other decrypts with. */
function keyPair(profile: number, saltLength: number) {
  const [k1, s1, k2, s2] = [randomBytes(16), randomBytes(saltLength), randomBytes(16), randomBytes(saltLength)];
  return {
    sender: { keys: { localMasterKey: k1, localMasterSalt: s1, remoteMasterKey: k2, remoteMasterSalt: s2 }, profile },
    receiver: { keys: { localMasterKey: k2, localMasterSalt: s2, remoteMasterKey: k1, remoteMasterSalt: s1 }, profile },
  };
}

function rtpLink(profile: number, saltLength: number) {
  const { sender, receiver } = keyPair(profile, saltLength);
  const guard = new SrtpReplayGuard();
  const send = new SrtpSession(sender);
  const receive = new SrtpSession(receiver);
  guard.protectSrtp(receive);
  const ssrc = 0x1234_5678;
  const packet = (sequenceNumber: number, payload = Buffer.from([sequenceNumber & 0xff, 1, 2, 3])) =>
    send.encrypt(payload, new RtpHeader({ payloadType: 111, ssrc, sequenceNumber, timestamp: sequenceNumber * 960 }));
  /** What the receiver's decrypt says: the plaintext's sequence number, or why it refused. */
  const receiveOne = (srtp: Buffer): number | string => {
    try {
      return receive.decrypt(srtp).readUInt16BE(2);
    } catch (error) {
      if (error instanceof SrtpReplayError) return error.verdict;
      if (error instanceof SrtpAuthenticationError) return 'unauthenticated';
      throw error;
    }
  };
  return { guard, send, receive, ssrc, packet, receiveOne };
}

for (const { name, profile, saltLength } of PROFILES) {
  test(`${name}: a replayed SRTP packet is refused as werift's own authentication failure, after authentication`, () => {
    const { guard, packet, receiveOne } = rtpLink(profile, saltLength);
    const first = packet(100);
    const second = packet(101);
    assert.equal(receiveOne(first), 100);
    assert.equal(receiveOne(second), 101);
    assert.equal(receiveOne(first), 'replayed');
    assert.equal(receiveOne(second), 'replayed');
    // werift drops exactly SrtpAuthenticationError without parsing: the replay error must be one.
    assert.ok(new SrtpReplayError('replayed') instanceof SrtpAuthenticationError);
    assert.equal(guard.counts.srtpReplayed, 2);
  });

  test(`${name}: late packets inside the window are accepted once; older ones are too old`, () => {
    const { guard, packet, receiveOne } = rtpLink(profile, saltLength);
    const packets = Array.from({ length: 300 }, (_, i) => packet(1000 + i));
    // In order, except 1010 and 1250, which arrive after 1299.
    for (let i = 0; i < 300; i++) if (i !== 10 && i !== 250) assert.equal(receiveOne(packets[i]!), 1000 + i);
    assert.equal(receiveOne(packets[250]!), 1250, '49 behind the newest: inside the 128-packet window, never seen');
    assert.equal(receiveOne(packets[10]!), 'too-old', '289 behind the newest: outside the window');
    assert.equal(receiveOne(packets[250]!), 'replayed');
    assert.equal(receiveOne(packets[200]!), 'replayed');
    assert.equal(receiveOne(packet(1300)), 1300);
    assert.deepEqual(guard.counts, { srtpReplayed: 2, srtpTooOld: 1, srtcpReplayed: 0, srtcpTooOld: 0, ssrcRefused: 0 });
  });

  test(`${name}: a forged packet marks nothing, so the genuine one with its index still passes`, () => {
    const { packet, receiveOne } = rtpLink(profile, saltLength);
    assert.equal(receiveOne(packet(7)), 7);
    const genuine = packet(8);
    const forged = Buffer.from(genuine);
    forged[forged.length - 1]! ^= 0x01;
    assert.equal(receiveOne(forged), 'unauthenticated');
    assert.equal(receiveOne(genuine), 8);
  });

  test(`${name}: across a sequence number wrap, and a replayed old packet does not upset the rollover counter`, () => {
    const { send, receive, ssrc, packet, receiveOne } = rtpLink(profile, saltLength);
    // A call well under way: both sides past one wrap (rollover counter 1) at sequence number 29.
    send.localContext.srtpSSRCStates[ssrc] = { ssrc, rolloverCounter: 1, lastSequenceNumber: 29, rolloverHasProcessed: true };
    receive.remoteContext.srtpSSRCStates[ssrc] = { ssrc, rolloverCounter: 1, lastSequenceNumber: 29, rolloverHasProcessed: true };
    const early = packet(30);
    assert.equal(receiveOne(early), 30);
    for (let seq = 65_420; seq <= 65_435; seq++) assert.equal(receiveOne(packet(seq)), seq);
    // The attacker replays the early packet. werift takes it (right counter, right tag) and moves
    // its rollover state back to sequence number 30; from there it would guess the counter wrong
    // for 65436 on, and again after the wrap, for good. The guard refuses it and restores the state.
    assert.equal(receiveOne(early), 'too-old');
    const next = [...Array.from({ length: 100 }, (_, i) => 65_436 + i), ...Array.from({ length: 20 }, (_, i) => i)];
    for (const seq of next) assert.equal(receiveOne(packet(seq)), seq, `genuine ${seq} after the replay`);
    assert.equal(receive.remoteContext.srtpSSRCStates[ssrc]!.rolloverCounter, 2, 'into the next wrap');
    assert.equal(receiveOne(packet(65_535)), 'replayed', 'the last packet before the wrap, again');
  });

  test(`${name}: a replayed SRTCP packet is refused; each SSRC has its own window`, () => {
    const { sender, receiver } = keyPair(profile, saltLength);
    const guard = new SrtpReplayGuard();
    const send = new SrtcpSession(sender);
    const receive = new SrtcpSession(receiver);
    guard.protectSrtcp(receive);
    const report = (ssrc: number) => send.encrypt(new RtcpRrPacket({ ssrc, reports: [] }).serialize());
    const receiveOne = (srtcp: Buffer): string => {
      try {
        return `ssrc ${receive.decrypt(srtcp).readUInt32BE(4)}`;
      } catch (error) {
        if (error instanceof SrtpReplayError) return error.verdict;
        throw error;
      }
    };
    const a1 = report(1);
    const b1 = report(2);
    const a2 = report(1);
    assert.equal(receiveOne(a1), 'ssrc 1');
    assert.equal(receiveOne(a2), 'ssrc 1');
    assert.equal(receiveOne(b1), 'ssrc 2', 'index 1 of another SSRC is not a replay');
    assert.equal(receiveOne(a1), 'replayed');
    assert.equal(receiveOne(b1), 'replayed');
    assert.equal(receiveOne(report(1)), 'ssrc 1');
    assert.equal(guard.counts.srtcpReplayed, 2);
    // More SSRCs than a call needs: refused rather than each given a window.
    for (let ssrc = 3; ssrc <= MAX_PEER_SSRCS; ssrc++) assert.equal(receiveOne(report(ssrc)), `ssrc ${ssrc}`);
    assert.equal(receiveOne(report(MAX_PEER_SSRCS + 1)), 'ssrc-refused');
    assert.equal(guard.counts.ssrcRefused, 1);
  });
}

test('install wraps the sessions a transport creates, at creation, and refuses a werift it does not know', () => {
  const { sender, receiver } = keyPair(ProtectionProfileAeadAes128Gcm, 12);
  // werift's updateSrtpSession, reduced to what it does: new sessions from the DTLS keys.
  const transport = {
    srtp: undefined as SrtpSession | undefined,
    srtcp: undefined as SrtcpSession | undefined,
    updateSrtpSession() {
      this.srtp = new SrtpSession(receiver);
      this.srtcp = new SrtcpSession(receiver);
    },
  };
  const guard = new SrtpReplayGuard();
  const asTransport = transport as unknown as RTCDtlsTransport;
  guard.install(asTransport);
  guard.install(asTransport);
  assert.ok(guard.protects(asTransport), 'nothing to protect yet');
  transport.updateSrtpSession();
  assert.ok(guard.protects(asTransport));
  const packet = new SrtpSession(sender).encrypt(Buffer.from([1]), new RtpHeader({ payloadType: 111, ssrc: 9, sequenceNumber: 5, timestamp: 0 }));
  transport.srtp!.decrypt(packet);
  assert.throws(() => transport.srtp!.decrypt(packet), SrtpReplayError);
  assert.ok(!guard.protects({ srtp: new SrtpSession(receiver) } as unknown as RTCDtlsTransport), 'a transport never installed is not protected');
  assert.throws(() => guard.install({} as RTCDtlsTransport), /werift changed/);
  assert.throws(() => new SrtpReplayGuard({ windowSize: 32 }), RangeError);
});
