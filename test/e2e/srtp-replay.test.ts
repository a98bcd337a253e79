/**
 * Scenario (issue 15, hole 2): SRTP and SRTCP replay during a live call. Two real werift call
 * sessions (WeriftCallMedia, as the CLI and bots use it) talk over loopback through a UDP relay,
 * which is the path an attacker on the network holds: each side knows only the relay's port as
 * its peer's address. The relay records genuine SRTP and SRTCP packets from A to the victim B,
 * then holds A's media back and sends every recorded packet into B again from A's address.
 *
 * What is counted is the victim's parsing: werift parses each packet it decrypted with
 * `RtpPacket.deSerialize` and `RtcpPacketConverter.deSerialize`, and the test counts those
 * calls for packets of A's SSRCs (B's own parsing of A-bound traffic has other SSRCs).
 * RFC 3711 §3.3.2: a replayed packet must be dropped before it reaches the parsers.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtcpPacketConverter, RtpPacket } from 'werift';
import type { CallMediaHandlers, CallMediaOptions, CallMediaSession, LogFields, Logger } from '@sotto/core';
import { WeriftCallMedia } from '@sotto/client-node/calls';
import { loopbackCandidateVia, UdpRelay, type Side } from '../support/udp-relay.js';

const LOOPBACK: CallMediaOptions = { iceServers: [], relayOnly: false, allowLoopback: true };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** RFC 7983 demultiplexing by first byte, then RFC 5761: RTCP packet types are 192-223. */
const isMedia = (data: Buffer): boolean => data.length >= 12 && data[0]! >= 128 && data[0]! <= 191;
const isRtcp = (data: Buffer): boolean => isMedia(data) && data[1]! >= 192 && data[1]! <= 223;

/** Counts every RTP and RTCP parse in this process, by SSRC (and sequence number for RTP). */
class ParserSpy {
  readonly rtp = new Map<string, number>();
  readonly rtcpBySsrc = new Map<number, number>();
  private readonly restore: (() => void)[] = [];

  constructor() {
    const rtpParse = RtpPacket.deSerialize.bind(RtpPacket);
    RtpPacket.deSerialize = (buf: Buffer) => {
      if (buf.length >= 12) {
        const key = `${buf.readUInt32BE(8)}:${buf.readUInt16BE(2)}`;
        this.rtp.set(key, (this.rtp.get(key) ?? 0) + 1);
      }
      return rtpParse(buf);
    };
    const rtcpParse = RtcpPacketConverter.deSerialize.bind(RtcpPacketConverter);
    RtcpPacketConverter.deSerialize = (data: Buffer) => {
      if (data.length >= 8) {
        const ssrc = data.readUInt32BE(4);
        this.rtcpBySsrc.set(ssrc, (this.rtcpBySsrc.get(ssrc) ?? 0) + 1);
      }
      return rtcpParse(data);
    };
    this.restore.push(() => (RtpPacket.deSerialize = rtpParse), () => (RtcpPacketConverter.deSerialize = rtcpParse));
  }

  rtpParsesOf(ssrcs: ReadonlySet<number>): number {
    let total = 0;
    for (const [key, count] of this.rtp) if (ssrcs.has(Number(key.split(':')[0]))) total += count;
    return total;
  }

  rtcpParsesOf(ssrcs: ReadonlySet<number>): number {
    let total = 0;
    for (const [ssrc, count] of this.rtcpBySsrc) if (ssrcs.has(ssrc)) total += count;
    return total;
  }

  stop(): void {
    for (const undo of this.restore) undo();
  }
}

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test('genuine SRTP and SRTCP packets re-sent from the peer\'s address are parsed once, not twice', async () => {
  const spy = new ParserSpy();
  cleanup.push(() => spy.stop());
  const relay = await UdpRelay.start();
  cleanup.push(() => relay.close());

  // What the relay saw going from A to the victim B.
  const captured: Buffer[] = [];
  const fromA = { rtpSsrcs: new Set<number>(), rtcpSsrcs: new Set<number>(), rtp: 0, rtcp: 0 };
  let holdMediaFromA = false;
  relay.setFilter((from, data) => {
    if (from !== 'a' || !isMedia(data)) return 'forward'; // STUN and DTLS always pass: ICE stays up
    if (holdMediaFromA) return 'drop';
    if (isRtcp(data)) {
      fromA.rtcpSsrcs.add(data.readUInt32BE(4));
      fromA.rtcp++;
    } else {
      fromA.rtpSsrcs.add(data.readUInt32BE(8));
      fromA.rtp++;
    }
    if (captured.length < 200) captured.push(Buffer.from(data));
    return 'forward';
  });

  // Signalling as the engine does it, except that each side learns only the relay's port.
  const sessions: Record<Side, CallMediaSession | undefined> = { a: undefined, b: undefined };
  const ready: Record<Side, boolean> = { a: false, b: false };
  const waiting: Record<Side, string[]> = { a: [], b: [] };
  const heard = { a: 0, b: 0 };
  const handlersFor = (side: Side): CallMediaHandlers => {
    const peer: Side = side === 'a' ? 'b' : 'a';
    return {
      onLocalCandidate: (candidate) => {
        const via = loopbackCandidateVia(candidate, relay.portFacing(peer));
        if (!via) return;
        relay.setTarget(side, via.ownPort);
        if (ready[peer]) void sessions[peer]!.addIceCandidate(via.rewritten);
        else waiting[peer].push(via.rewritten);
      },
      onConnected: () => {},
      onFailed: (reason) => assert.fail(`side ${side} failed: ${reason}`),
      onFirstRemoteAudio: () => void heard[side]++,
    };
  };
  const applyRemote = async (side: Side, kind: 'offer' | 'answer', sdp: string): Promise<void> => {
    await sessions[side]!.setRemoteDescription(kind, sdp);
    ready[side] = true;
    for (const candidate of waiting[side].splice(0)) await sessions[side]!.addIceCandidate(candidate);
  };
  sessions.a = new WeriftCallMedia().createSession(LOOPBACK, handlersFor('a'));
  // The victim's own account of what it refused, from its closing log line.
  const victimLog: { message: string; fields: LogFields }[] = [];
  const record = (fields: LogFields, message: string) => void victimLog.push({ message, fields });
  const logger: Logger = { debug: record, info: record, warn: record, error: record };
  sessions.b = new WeriftCallMedia({ logger }).createSession(LOOPBACK, handlersFor('b'));
  cleanup.push(() => Promise.all([sessions.a!.close(), sessions.b!.close()]).then(() => undefined));
  await sessions.a.openMicrophone();
  await sessions.b.openMicrophone();
  const offer = await sessions.a.createOffer();
  await applyRemote('b', 'offer', offer);
  const answer = await sessions.b.createAnswer();
  await applyRemote('a', 'answer', answer);

  // Genuine traffic: audio every 20 ms, RTCP every 0.5-1.5 s.
  await waitFor(() => heard.b > 0 && fromA.rtp >= 40 && fromA.rtcp >= 2, 15_000, 'A\'s audio and RTCP at B through the relay');
  holdMediaFromA = true;
  await sleep(300); // what was already forwarded is processed
  const rtpBefore = spy.rtpParsesOf(fromA.rtpSsrcs);
  const rtcpBefore = spy.rtcpParsesOf(fromA.rtcpSsrcs);
  assert.ok(rtpBefore > 0 && rtcpBefore > 0, 'the victim parsed A\'s genuine packets');

  // The attack: every recorded packet again, twice, from A's address.
  const replayed = { rtp: captured.filter((p) => !isRtcp(p)).length, rtcp: captured.filter(isRtcp).length };
  for (let round = 0; round < 2; round++) {
    for (const packet of captured) {
      await relay.inject('b', packet);
      await sleep(1); // paced: a burst must not overflow the victim's socket buffer
    }
  }
  await sleep(500);
  const rtpParsedAgain = spy.rtpParsesOf(fromA.rtpSsrcs) - rtpBefore;
  const rtcpParsedAgain = spy.rtcpParsesOf(fromA.rtcpSsrcs) - rtcpBefore;
  console.log(`replayed ${replayed.rtp} SRTP and ${replayed.rtcp} SRTCP packets twice; the victim parsed ${rtpParsedAgain} RTP and ${rtcpParsedAgain} RTCP packets of them`);
  assert.equal(rtpParsedAgain, 0, 'no replayed SRTP packet reached the RTP parser');
  assert.equal(rtcpParsedAgain, 0, 'no replayed SRTCP packet reached the RTCP parser');
  const parsedTwice = [...spy.rtp].filter(([key, count]) => fromA.rtpSsrcs.has(Number(key.split(':')[0])) && count > 1);
  assert.deepEqual(parsedTwice, [], 'each of A\'s RTP packets was parsed once');

  // The call carries on: A's next packets are genuine, newer, and parsed.
  holdMediaFromA = false;
  await waitFor(() => spy.rtpParsesOf(fromA.rtpSsrcs) > rtpBefore + 10, 5_000, 'A\'s audio after the attack');
  await sessions.b.close();
  const closed = victimLog.find((line) => line.message === 'call media: closed')?.fields ?? {};
  console.log('victim at close:', JSON.stringify(closed));
  const refused = (kind: string) => Number(closed[`${kind}Replayed`] ?? 0) + Number(closed[`${kind}TooOld`] ?? 0);
  assert.ok(refused('srtp') > 0 && refused('srtp') <= 2 * replayed.rtp, 'the victim counted the SRTP replays it dropped');
  assert.ok(refused('srtcp') > 0 && refused('srtcp') <= 2 * replayed.rtcp, 'and the SRTCP ones');
});
