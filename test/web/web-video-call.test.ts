/**
 * Scenario: a 1:1 video call (issue 20), in real Chromium with its fake camera and microphone,
 * against a real `sotto serve`. Alice on a desktop calls Bob on a phone. While it rings, Bob's page
 * has made no peer connection, asked for no camera or microphone, and parsed no SDP; so has
 * Alice's. Bob accepts: both sides send and decode VP8 (the only video codec either side's SDP
 * validator allows), see each other's video and their own camera small in its corner. The camera
 * turns off (its track stopped) and on again. A second call, taken with "Voice only", never asks
 * for Bob's camera, while he still sees Alice. A voice call moves to video by consent of both:
 * Alice asks and Bob declines (nothing opens); then Bob asks, and no camera opens on either side
 * until Alice turns video on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BrowserMember, browserSkipReason, eventually, launchBrowser } from '../support/browser.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { keepScreenshot, openDesktopAndPhoneContacts, openDirectChat } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-video-call');
let server: ServerProcess;
let browser: Browser;
let alice: BrowserMember;
let bob: BrowserMember;

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  ({ alice, bob } = await openDesktopAndPhoneContacts(browser, server.url));
  await openDirectChat(alice, 'bob');
  await openDirectChat(bob, 'alice');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

const NOTHING = { peerConnections: 0, getUserMedia: 0, remoteDescriptions: 0, remoteCandidates: 0 };

/** The picture a <video> shows: its size once frames arrive. */
const videoSize = (member: BrowserMember, selector: string) =>
  member.page.locator(selector).evaluate((v: HTMLVideoElement) => ({ width: v.videoWidth, height: v.videoHeight }));

test('a video call: nothing before Accept (no camera, no peer connection, no SDP), VP8 both ways after, camera off and on', { skip }, async () => {
  await alice.page.getByRole('button', { name: 'Video call with bob' }).click();
  const ring = bob.page.getByRole('dialog', { name: 'Video call from alice' });
  await ring.getByText('is video calling you').waitFor({ timeout: 20_000 });
  await alice.page.getByText('Video call, ringing…').waitFor();
  // Consent before parsing, and before any camera: neither side has touched RTC or a device yet.
  assert.deepEqual(await bob.rtc(), NOTHING);
  assert.deepEqual(await alice.rtc(), NOTHING);
  assert.equal(await bob.cameraRequests(), 0);
  assert.equal(await alice.cameraRequests(), 0);
  await keepScreenshot(bob, 'video-call-ringing-phone');

  await ring.getByRole('button', { name: 'Accept' }).click();
  await eventually(async () => {
    const [a, b] = [await alice.videoStats(), await bob.videoStats()];
    return a.framesDecoded > 10 && b.framesDecoded > 10 ? true : undefined;
  }, 'video frames decoded on both sides', 30_000);
  assert.equal((await bob.videoStats()).codec, 'video/VP8');
  assert.equal((await alice.videoStats()).codec, 'video/VP8');
  assert.equal(await bob.cameraRequests(), 1);
  assert.equal(await alice.cameraRequests(), 1);
  for (const member of [alice, bob]) {
    await eventually(async () => ((await videoSize(member, 'video.remote-video')).width > 0 ? true : undefined), `${member.name} sees the peer's video`);
    await eventually(async () => ((await videoSize(member, 'video.local-video')).width > 0 ? true : undefined), `${member.name} sees their own camera`);
  }
  await keepScreenshot(bob, 'video-call-phone');
  await keepScreenshot(alice, 'video-call-desktop');

  // Camera off: the track is stopped (the camera's light goes out) and the peer's picture stops.
  await bob.page.getByRole('button', { name: 'Camera off' }).click();
  await bob.page.getByRole('button', { name: 'Camera on' }).waitFor();
  assert.equal(await bob.page.locator('video.local-video').count(), 0);
  const liveCameras = () => bob.page.evaluate(() => (window as unknown as { __rtc: { instances: RTCPeerConnection[] } }).__rtc.instances
    .flatMap((pc) => pc.getSenders()).filter((s) => s.track?.kind === 'video' && s.track.readyState === 'live').length);
  assert.equal(await liveCameras(), 0);
  await bob.page.getByRole('button', { name: 'Camera on' }).click();
  await bob.page.getByRole('button', { name: 'Camera off' }).waitFor();
  await eventually(async () => ((await liveCameras()) === 1 ? true : undefined), 'the camera back on the call');
  assert.equal(await bob.cameraRequests(), 2, 'the camera opened again only when asked');

  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await bob.page.getByText('They hung up').waitFor({ timeout: 20_000 });
  assert.equal(await liveCameras(), 0, 'hanging up closes the camera');
});

test('"Voice only" takes a video call without ever asking for the camera; the peer\'s video still shows', { skip }, async () => {
  const camerasBefore = await bob.cameraRequests();
  await alice.page.getByRole('button', { name: 'Video call with bob' }).click();
  const ring = bob.page.getByRole('dialog', { name: 'Video call from alice' });
  await ring.getByRole('button', { name: 'Voice only' }).click({ timeout: 20_000 });
  await eventually(async () => ((await bob.videoStats()).framesDecoded > 10 ? true : undefined), 'alice\'s video at bob', 30_000);
  assert.equal(await bob.cameraRequests(), camerasBefore, 'no camera asked for');
  assert.equal(await bob.page.locator('video.local-video').count(), 0);
  await alice.page.getByText('bob has no video on').waitFor();
  await keepScreenshot(alice, 'video-call-voice-only-desktop');
  await bob.page.getByRole('button', { name: 'Hang up' }).click();
  await alice.page.getByText('They hung up').waitFor({ timeout: 20_000 });
});

test('a voice call moves to video only when both say so: no camera on either side before, VP8 both ways after; "Not now" keeps it voice', { skip }, async () => {
  const camerasBefore = { alice: await alice.cameraRequests(), bob: await bob.cameraRequests() };
  await alice.page.getByRole('button', { name: 'Call bob' }).click();
  await bob.page.getByRole('dialog', { name: 'Call from alice' }).getByRole('button', { name: 'Accept' }).click({ timeout: 20_000 });
  for (const member of [alice, bob]) await member.page.getByTestId('call-status').getByText(/^\d+:\d\d$/).waitFor({ timeout: 30_000 });

  // Alice asks; Bob declines: nothing opens, Alice is told.
  await alice.page.getByRole('button', { name: 'Turn on video' }).click();
  await alice.page.getByText('Asking bob to turn on video…').waitFor();
  await bob.page.getByText('alice asks to turn on video').waitFor({ timeout: 10_000 });
  await keepScreenshot(bob, 'video-ask-phone');
  await bob.page.getByRole('button', { name: 'Not now' }).click();
  await alice.page.getByText('bob stays on voice').waitFor({ timeout: 10_000 });
  assert.deepEqual({ alice: await alice.cameraRequests(), bob: await bob.cameraRequests() }, camerasBefore, 'a declined ask opened a camera');

  // Having declined, Bob is not asked again for a minute; he may ask himself. Until Alice turns
  // video on, no camera anywhere.
  await bob.page.getByRole('button', { name: 'Turn on video' }).click();
  await alice.page.getByText('bob asks to turn on video').waitFor({ timeout: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.deepEqual({ alice: await alice.cameraRequests(), bob: await bob.cameraRequests() }, camerasBefore, 'a camera opened before both consented');
  await keepScreenshot(alice, 'video-ask-desktop');
  await alice.page.getByRole('button', { name: 'Turn on video' }).click();
  await eventually(async () => {
    const [a, b] = [await alice.videoStats(), await bob.videoStats()];
    return a.framesDecoded > 10 && b.framesDecoded > 10 ? true : undefined;
  }, 'video frames decoded on both sides after the move', 30_000);
  assert.equal((await alice.videoStats()).codec, 'video/VP8');
  assert.deepEqual({ alice: await alice.cameraRequests(), bob: await bob.cameraRequests() }, { alice: camerasBefore.alice + 1, bob: camerasBefore.bob + 1 });
  for (const member of [alice, bob]) {
    await eventually(async () => ((await videoSize(member, 'video.remote-video')).width > 0 ? true : undefined), `${member.name} sees the peer's video after the move`);
    await member.page.getByRole('button', { name: 'Camera off' }).waitFor();
  }
  await keepScreenshot(alice, 'video-after-ask-desktop');
  await keepScreenshot(bob, 'video-after-ask-phone');
  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await bob.page.getByText('They hung up').waitFor({ timeout: 20_000 });
});
