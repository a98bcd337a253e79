/**
 * Scenario: the web app and the CLI call each other through one real server. Dave uses the
 * browser, whose fake microphone plays a 440 Hz tone; Carol uses the CLI and plays 660 Hz.
 * Each side must hear the other's tone: Carol's recording is checked with a Goertzel filter,
 * Dave's received audio with a WebAudio analyser on the remote track. Then the consent rule
 * in the browser: a stranger's call leaves nothing but a missed call request, and the page
 * creates no peer connection, opens no microphone and parses no SDP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { goertzel, readWav, sineWave, writeWav } from '@sotto/client-node/calls';
import { BrowserMember, browserSkipReason, eventually, launchBrowser } from '../support/browser.js';
import { Member } from '../support/cli.js';
import { Listener } from '../support/listener.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { acceptContact, openDirectChat, openTab, registerInBrowser } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-interop');
const LOOPBACK = '--allow-loopback-candidates';
let server: ServerProcess;
let browser: Browser;
let dave: BrowserMember;
const carol = new Member('carol', dir.path);
const mallory = new Member('mallory', dir.path);
const tone440 = join(dir.path, 'dave-mic-440.wav');
const tone660 = join(dir.path, 'carol-660.wav');

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  await writeWav(tone440, sineWave(440, 4, 48_000));
  await writeWav(tone660, sineWave(660, 2, 48_000));
  browser = await launchBrowser({ fakeAudio: tone440 });
  dave = await BrowserMember.open(browser, 'dave', server.url);
  await registerInBrowser(dave);
  for (const m of [carol, mallory]) await m.ok(['register', m.name, '--server', server.url]);
  await carol.ok(['contacts', 'request', 'dave', 'Carol here, from the CLI']);
  await acceptContact(dave, 'carol');
  await carol.ok(['sync']);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

/** The loudest frequency (100-4,000 Hz) in the newest call's received audio, from a WebAudio analyser. */
function dominantFrequency(member: BrowserMember): Promise<number> {
  return member.page.evaluate(async () => {
    const pcs = (window as unknown as { __rtc: { instances: RTCPeerConnection[] } }).__rtc.instances;
    const track = pcs[pcs.length - 1]?.getReceivers()[0]?.track;
    if (!track) return -1;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 16_384;
    context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    const hzPerBin = context.sampleRate / analyser.fftSize;
    let best = -1;
    for (let i = Math.ceil(100 / hzPerBin); i < 4000 / hzPerBin; i++) if (best < 0 || (bins[i] ?? -Infinity) > (bins[best] ?? -Infinity)) best = i;
    await context.close();
    return best * hzPerBin;
  });
}

async function assertHeardTone(recording: string, expected: number, other: number): Promise<string> {
  const pcm = await readWav(recording);
  assert.ok(pcm.length > 48_000, `recorded ${pcm.length} samples`);
  const at = { expected: goertzel(pcm, expected, 48_000), other: goertzel(pcm, other, 48_000) };
  assert.ok(at.expected > 0.3 && at.other < 0.05, `recording ${JSON.stringify(at)}`);
  return `the CLI's recording: ${(pcm.length / 48_000).toFixed(1)} s, energy share at ${expected} Hz ${at.expected.toFixed(3)}, at ${other} Hz ${at.other.toFixed(3)}`;
}

test('the browser calls the CLI: audio flows both ways', { skip }, async (t) => {
  const recording = join(dir.path, 'carol-heard-1.wav');
  const listener = new Listener(carol, [LOOPBACK, '--accept-calls', '--play', tone660, '--record', recording]);
  try {
    await listener.ready();
    await openDirectChat(dave, 'carol');
    await dave.page.getByRole('button', { name: 'Call carol' }).click();
    await eventually(async () => ((await dave.audioStats()).packetsReceived > 100 ? true : undefined), 'audio from the CLI', 30_000);
    const heard = await dominantFrequency(dave);
    assert.ok(Math.abs(heard - 660) < 15, `the browser heard ${heard.toFixed(1)} Hz`);
    t.diagnostic(`the browser's loudest received frequency: ${heard.toFixed(1)} Hz`);
    await dave.page.getByRole('button', { name: 'Hang up' }).click();
    await listener.waitFor((r) => r.type === 'call' && r.state === 'ended', 'the end of the call');
  } finally {
    await listener.stop();
  }
  t.diagnostic(await assertHeardTone(recording, 440, 660));
});

test('the browser video-calls the CLI: the CLI answers with voice only and says so; audio flows both ways', { skip }, async (t) => {
  const recording = join(dir.path, 'carol-heard-video.wav');
  const listener = new Listener(carol, [LOOPBACK, '--accept-calls', '--play', tone660, '--record', recording]);
  try {
    await listener.ready();
    await openDirectChat(dave, 'carol');
    await dave.page.getByRole('button', { name: 'Video call with carol' }).click();
    await listener.waitFor((r) => r.type === 'call' && r.state === 'voice-only', 'the CLI saying it answers with voice only');
    await eventually(async () => ((await dave.audioStats()).packetsReceived > 100 ? true : undefined), 'audio from the CLI', 30_000);
    const heard = await dominantFrequency(dave);
    assert.ok(Math.abs(heard - 660) < 15, `the browser heard ${heard.toFixed(1)} Hz`);
    await dave.page.getByText('carol has no video on').waitFor();
    assert.equal((await dave.videoStats()).framesDecoded, 0, 'no video from the CLI');
    await dave.page.getByRole('button', { name: 'Hang up' }).click();
    await listener.waitFor((r) => r.type === 'call' && r.state === 'ended', 'the end of the call');
  } finally {
    await listener.stop();
  }
  t.diagnostic(await assertHeardTone(recording, 440, 660));
});

test('the CLI calls the browser: audio flows both ways', { skip }, async (t) => {
  const recording = join(dir.path, 'carol-heard-2.wav');
  const call = carol.run(['call', 'dave', LOOPBACK, '--play', tone660, '--record', recording, '--seconds', '5'], { timeoutMs: 90_000 });
  await dave.page.getByRole('button', { name: 'Accept' }).click({ timeout: 30_000 });
  await eventually(async () => ((await dave.audioStats()).packetsReceived > 100 ? true : undefined), 'audio from the CLI', 30_000);
  const heard = await dominantFrequency(dave);
  assert.ok(Math.abs(heard - 660) < 15, `the browser heard ${heard.toFixed(1)} Hz`);
  t.diagnostic(`the browser's loudest received frequency: ${heard.toFixed(1)} Hz`);
  const result = await call;
  assert.equal(result.code, 0, result.stderr);
  await dave.page.getByText('They hung up').waitFor({ timeout: 20_000 });
  t.diagnostic(await assertHeardTone(recording, 440, 660));
});

test('a stranger\'s call shows only a missed call request: no ring, no peer connection, no microphone, no SDP', { skip }, async () => {
  await dave.page.reload();
  await dave.page.getByLabel('Signed in as dave').waitFor();
  const call = await mallory.run(['call', 'dave', LOOPBACK]);
  assert.equal(call.code, 1, 'an unanswered call request is not an answered call');
  await openTab(dave, 'Calls');
  await dave.page.getByRole('list', { name: 'Call log' }).getByText('Missed call request (not a contact)').waitFor({ timeout: 20_000 });
  assert.equal(await dave.page.getByRole('dialog').count(), 0, 'nothing rang');
  assert.deepEqual(await dave.rtc(), { peerConnections: 0, getUserMedia: 0, remoteDescriptions: 0, remoteCandidates: 0 });
  await openTab(dave, 'Contacts');
  await dave.page.getByRole('button', { name: 'Accept mallory' }).waitFor();
  await dave.screenshot('17-missed-call-request');
});
