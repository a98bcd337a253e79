import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidatePolicy, checkRemoteCandidate, validateSdp, type CallMediaHandlers, type CallMediaOptions, type CallMediaSession } from '@sotto/core';
import { goertzel, sineWave } from './goertzel.js';
import { readWav, writeWav } from './wav.js';
import { WeriftCallMedia, stripCandidates } from './werift-call-media.js';

const LOOPBACK: CallMediaOptions = { iceServers: [], relayOnly: false, allowLoopback: true };
const udpSockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Handlers that record what happened, for assertions. */
function recordingHandlers(onCandidate: (c: string) => void = () => {}) {
  const seen = { candidates: [] as string[], connected: 0, firstAudio: 0, firstAudioAt: 0, failed: [] as string[] };
  const handlers: CallMediaHandlers = {
    onLocalCandidate: (c) => {
      seen.candidates.push(c);
      onCandidate(c);
    },
    onConnected: () => void seen.connected++,
    onFailed: (reason) => void seen.failed.push(reason),
    onFirstRemoteAudio: () => {
      seen.firstAudio++;
      seen.firstAudioAt = performance.now();
    },
  };
  return { seen, handlers };
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** What the engine guarantees about a local description: no candidates, CRLF line ends. */
function assertTrickleSdp(sdp: string): void {
  assert.ok(!sdp.includes('a=candidate'), 'no a=candidate in the SDP');
  assert.ok(!sdp.includes('a=end-of-candidates'), 'no a=end-of-candidates in the SDP');
  assert.ok(sdp.endsWith('\r\n') && !/[^\r]\n/.test(sdp), 'CRLF line ends');
}

// First in the file: no socket from another test can be open or closing meanwhile.
test('the factory opens nothing, and a session gathers nothing before an offer or answer', async () => {
  const before = udpSockets();
  const factory = new WeriftCallMedia({});
  assert.equal(udpSockets(), before, 'constructing the factory opens no UDP socket');
  const { seen, handlers } = recordingHandlers();
  const session = factory.createSession(LOOPBACK, handlers);
  await session.openMicrophone(); // silence: no file
  await sleep(300);
  assert.equal(seen.candidates.length, 0, 'no candidate without an offer or answer');
  assert.equal(udpSockets(), before, 'no UDP socket without an offer or answer');
  await session.close();
  await session.close();
  assert.deepEqual(seen.failed, [], 'closing is not a failure');
  await assert.rejects(session.createOffer(), /closed/);
});

test('relay-only without TURN announces no candidate at all (they would carry our addresses)', async () => {
  const { seen, handlers } = recordingHandlers();
  const session = new WeriftCallMedia().createSession({ iceServers: [], relayOnly: true, allowLoopback: true }, handlers);
  try {
    const offer = await session.createOffer();
    assertTrickleSdp(offer);
    await sleep(100);
    assert.deepEqual(seen.candidates, []);
  } finally {
    await session.close();
  }
});

test('stripCandidates removes candidate lines and normalises to CRLF', () => {
  const sdp = 'v=0\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\na=end-of-candidates\na=mid:0\n';
  assert.equal(stripCandidates(sdp), 'v=0\r\na=mid:0\r\n');
});

test('two sessions over loopback hear each other: 440 Hz one way, 660 Hz the other', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-call-'));
  const sessions: CallMediaSession[] = [];
  try {
    const files = { playA: join(dir, 'a-440.wav'), playB: join(dir, 'b-660.wav'), recA: join(dir, 'a-heard.wav'), recB: join(dir, 'b-heard.wav') };
    await writeWav(files.playA, sineWave(440, 1, 48_000));
    await writeWav(files.playB, sineWave(660, 1, 48_000));

    // Signalling as the engine does it: candidates checked by the policy, held until the
    // remote description is set, SDP validated and only its normalised form applied.
    const policy = candidatePolicy({ allowLoopback: true });
    const peer = { a: { session: null as CallMediaSession | null, ready: false, pending: [] as string[], count: 0 }, b: { session: null as CallMediaSession | null, ready: false, pending: [] as string[], count: 0 } };
    const deliver = (to: typeof peer.a, candidate: string): void => {
      const checked = checkRemoteCandidate(candidate, policy, to.count);
      if (!checked.ok) return;
      to.count++;
      if (to.ready && to.session) void to.session.addIceCandidate(candidate);
      else to.pending.push(candidate);
    };
    const applyRemote = async (to: typeof peer.a, kind: 'offer' | 'answer', sdp: string): Promise<void> => {
      const validated = validateSdp(sdp, kind, { candidatePolicy: policy });
      assert.ok(validated.ok, `werift's ${kind} passes validateSdp: ${validated.ok ? '' : validated.code + ' ' + validated.message}`);
      await to.session!.setRemoteDescription(kind, validated.sdp.sdp);
      to.ready = true;
      for (const c of to.pending.splice(0)) await to.session!.addIceCandidate(c);
    };

    const a = recordingHandlers((c) => deliver(peer.b, c));
    const b = recordingHandlers((c) => deliver(peer.a, c));
    peer.a.session = new WeriftCallMedia({ play: files.playA, record: files.recA }).createSession(LOOPBACK, a.handlers);
    peer.b.session = new WeriftCallMedia({ play: files.playB, record: files.recB }).createSession(LOOPBACK, b.handlers);
    sessions.push(peer.a.session, peer.b.session);

    await peer.a.session.openMicrophone();
    const startedAt = performance.now();
    const offer = await peer.a.session.createOffer();
    assertTrickleSdp(offer);
    assert.ok(a.seen.candidates.length > 0 && a.seen.candidates.every((c) => c.startsWith('candidate:')), 'candidates in candidate:... form');
    await peer.b.session.openMicrophone();
    await applyRemote(peer.b, 'offer', offer);
    const answer = await peer.b.session.createAnswer();
    assertTrickleSdp(answer);
    await applyRemote(peer.a, 'answer', answer);

    await waitFor(() => a.seen.firstAudio > 0 && b.seen.firstAudio > 0, 5_000, 'audio both ways');
    const firstAudioMs = Math.max(a.seen.firstAudioAt, b.seen.firstAudioAt) - startedAt;
    console.log(`createOffer to first remote audio: A ${Math.round(a.seen.firstAudioAt - startedAt)} ms, B ${Math.round(b.seen.firstAudioAt - startedAt)} ms`);
    assert.ok(firstAudioMs < 3_000, `set-up took ${firstAudioMs} ms`);
    await sleep(2_000);
    await Promise.all(sessions.map((s) => s.close()));

    for (const [name, seen] of [['A', a.seen], ['B', b.seen]] as const) {
      assert.equal(seen.connected, 1, `${name} connected once`);
      assert.equal(seen.firstAudio, 1, `${name} heard the peer once`);
      assert.deepEqual(seen.failed, [], `${name} did not fail`);
    }
    const heardByA = await readWav(files.recA);
    const heardByB = await readWav(files.recB);
    for (const [name, pcm, expected, other] of [['A', heardByA, 660, 440], ['B', heardByB, 440, 660]] as const) {
      assert.ok(pcm.length > 1.5 * 48_000, `${name} recorded ${pcm.length / 48_000} s`);
      const wanted = goertzel(pcm, expected, 48_000);
      const unwanted = goertzel(pcm, other, 48_000);
      console.log(`${name} recorded ${(pcm.length / 48_000).toFixed(2)} s: ${expected} Hz share ${wanted.toFixed(3)}, ${other} Hz share ${unwanted.toFixed(4)}`);
      assert.ok(wanted > 0.5, `${name} hears ${expected} Hz (${wanted})`);
      assert.ok(unwanted < 0.05, `${name} does not hear ${other} Hz (${unwanted})`);
    }
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});
