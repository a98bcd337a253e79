/**
 * @module sfu/janus-media.test
 * Real media through a room the controller made: one werift publisher and one werift subscriber,
 * each admitted by `JanusSfu`, with RTP payloads standing in for SFrame ciphertext. The
 * subscriber receives them byte for byte: Janus forwards what it cannot read and changes
 * nothing. (The server itself never imports werift; only this test does.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';
import { createLogger } from '../logger.js';
import { JanusSfu } from './janus-sfu.js';
import { JanusParticipant, JanusProcess, requireJanus, type JanusAnswer, type JanusJsep } from './janus-test-env.js';

const skip = requireJanus();
const DEADLINE_MS = 15_000;
const PACKETS_TO_SEE = 10;

let janus: JanusProcess;
let control: JanusSfu;
const closers: (() => unknown)[] = [];

before(async () => {
  if (skip.skip) return;
  janus = await JanusProcess.start({ rtpPortMin: 41_400 });
  control = new JanusSfu({ url: janus.url, secret: janus.secret, logger: createLogger('sfu-media-test', { level: 'silent' }) });
  await control.start();
});

after(async () => {
  for (const close of closers.reverse()) await close();
  await control?.close();
  await janus?.dispose();
});

function peer(): RTCPeerConnection {
  const pc = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })], video: [] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
  });
  closers.push(() => pc.close());
  return pc;
}

async function participant(token: string): Promise<JanusParticipant> {
  const p = await JanusParticipant.connect(janus.url, token);
  closers.push(() => p.close());
  assert.equal((await p.attach()).ok, true);
  return p;
}

function connected(pc: RTCPeerConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection within ${DEADLINE_MS} ms`)), DEADLINE_MS);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(timer);
        resolve();
      }
      if (state === 'failed') reject(new Error('the peer connection failed'));
    });
  });
}

function jsepOf(answer: JanusAnswer): JanusJsep {
  assert.ok(answer.ok && answer.jsep, `Janus answered without a session description: ${JSON.stringify(answer)}`);
  return answer.jsep;
}

/** Asks the room until the feed is listed as publishing: Janus announces it once its media is up. */
async function untilPublishing(p: JanusParticipant, roomId: number, feedId: number): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const listed = await p.videoroom({ request: 'listparticipants', room: roomId });
    assert.ok(listed.ok, JSON.stringify(listed));
    if ((listed.data.participants as { id: number; publisher: boolean }[]).some((x) => x.id === feedId && x.publisher)) return;
    if (Date.now() > deadline) assert.fail(`feed ${feedId} was not publishing within ${DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('an admitted publisher reaches an admitted subscriber through Janus, payloads untouched', skip, async () => {
  const { roomId } = await control.createRoom({ maxParticipants: 4, audioOnly: true });
  const alice = await control.admit(roomId, 'alice');
  const bob = await control.admit(roomId, 'bob');

  // Alice publishes (sendonly Opus), marking the media end-to-end encrypted as the room requires.
  const publisher = await participant(alice.token);
  const pc1 = peer();
  const sending: RTCRtpTransceiver = pc1.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
  await pc1.setLocalDescription(await pc1.createOffer());
  assert.equal((await publisher.join(roomId, alice.feedId, alice.joinToken)).ok, true);
  const published = await publisher.videoroom({ request: 'configure', audio: true, video: false }, { type: 'offer', sdp: pc1.localDescription!.sdp, e2ee: true });
  await publisher.candidatesComplete();
  const pc1Up = connected(pc1);
  await pc1.setRemoteDescription(jsepOf(published));
  await pc1Up;

  // Bob joins (a subscriber must name its own publisher's private id: require_pvtid) and subscribes to Alice.
  const bobPublisher = await participant(bob.token);
  const joined = await bobPublisher.join(roomId, bob.feedId, bob.joinToken);
  assert.ok(joined.ok, JSON.stringify(joined));
  await untilPublishing(bobPublisher, roomId, alice.feedId);
  const subscriber = await participant(bob.token);
  const offered = await subscriber.videoroom({ request: 'join', ptype: 'subscriber', room: roomId, streams: [{ feed: alice.feedId }], private_id: joined.data.private_id, token: bob.joinToken });
  const pc2 = peer();
  const received: Buffer[] = [];
  let enough: () => void = () => undefined;
  const gotEnough = new Promise<void>((resolve) => (enough = resolve));
  pc2.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      received.push(Buffer.from(rtp.payload));
      if (received.length >= PACKETS_TO_SEE) enough();
    }),
  );
  const pc2Up = connected(pc2);
  await pc2.setRemoteDescription(jsepOf(offered));
  await pc2.setLocalDescription(await pc2.createAnswer());
  const started = await subscriber.videoroom({ request: 'start' }, { type: 'answer', sdp: pc2.localDescription!.sdp, e2ee: true });
  assert.ok(started.ok, JSON.stringify(started));
  await subscriber.candidatesComplete();
  await pc2Up;

  // Opaque payloads, as SFrame ciphertext would be: Janus must pass them on unchanged.
  const payloadType = sending.codecs.find((c) => c.mimeType.toLowerCase() === 'audio/opus')?.payloadType;
  assert.ok(payloadType !== undefined);
  const sent: Buffer[] = [];
  const deadline = Date.now() + DEADLINE_MS;
  for (let sequenceNumber = 1; received.length < PACKETS_TO_SEE; sequenceNumber++) {
    if (Date.now() > deadline) assert.fail(`the subscriber saw ${received.length} of ${PACKETS_TO_SEE} packets within ${DEADLINE_MS} ms`);
    const payload = randomBytes(40);
    sent.push(payload);
    await sending.sender.sendRtp(new RtpPacket(new RtpHeader({ payloadType, ssrc: 0x5eed, sequenceNumber, timestamp: sequenceNumber * 960, marker: false }), payload));
    // Paced like 20 ms audio frames, so Janus's jitter handling sees a normal stream.
    await Promise.race([gotEnough, new Promise((r) => setTimeout(r, 20))]);
  }
  const sentHex = new Set(sent.map((b) => b.toString('hex')));
  for (const payload of received) assert.ok(sentHex.has(payload.toString('hex')), 'every payload the subscriber got is one the publisher sent, byte for byte');
});
