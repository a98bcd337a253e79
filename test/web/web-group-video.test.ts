/**
 * Scenario: video in a group call (issue 20), real Chromium against a real `sotto serve --sfu` and
 * Debian's Janus. Bob and Dee, each in a browser of their own (fake camera; fake microphones at
 * 440 and 880 Hz), and Ana from the CLI (audio only, 660 Hz). Joining opens the microphone only; each camera opens on its member's
 * own "Camera on", and then the other browser decodes its picture, every VP8 frame sealed by the
 * sender's encoded transform (its 10 or 3 header bytes in clear, authenticated) and opened by the
 * receiver's. Ana's CLI, which takes no video, subscribes to each browser's audio alone and hears
 * both. "Camera off" closes the camera (its track ends), and the others' tile of it goes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { goertzel, readWav, sineWave, writeWav } from '@sotto/client-node/calls';
import { BrowserMember, browserSkipReason, eventually, launchBrowser } from '../support/browser.js';
import { Member } from '../support/cli.js';
import { JanusProcess, requireJanus } from '../support/janus-process.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { acceptContact, befriendFromCli, keepScreenshot, openTab, registerInBrowser } from './ui.js';

const skip = browserSkipReason() ?? requireJanus().skip;
const dir = scratchDir('web-group-video');
let janus: JanusProcess;
let server: ServerProcess;
let browsers: Browser[] = [];
let bob: BrowserMember;
let dee: BrowserMember;
const ana = new Member('ana', dir.path);
const tone = (hz: number) => join(dir.path, `${hz}.wav`);

before(async () => {
  if (skip) return;
  await writeWav(tone(660), sineWave(660, 4, 48_000));
  // Syllables, not a steady sine the browser's noise suppression would take away (as in web-group-call).
  for (const hz of [440, 880]) {
    const bursts = sineWave(hz, 4, 48_000);
    for (let i = 0; i < bursts.length; i++) if (Math.floor(i / 9_600) % 2 === 1) bursts[i] = 0;
    await writeWav(tone(hz), bursts);
  }
  janus = await JanusProcess.start({ rtpPortMin: 42_600 });
  const secretFile = join(dir.path, 'sfu-secret');
  writeFileSync(secretFile, janus.secret, { mode: 0o600 });
  server = await ServerProcess.start(join(dir.path, 'server'), ['--sfu', janus.url, '--sfu-secret-file', secretFile]);
  browsers = [await launchBrowser({ fakeAudio: tone(440) }), await launchBrowser({ fakeAudio: tone(880) })];
  bob = await BrowserMember.open(browsers[0]!, 'bob', server.url);
  dee = await BrowserMember.open(browsers[1]!, 'dee', server.url, { width: 390, height: 780 });
  for (const member of [bob, dee]) {
    // Janus here offers loopback candidates only; a deployed SFU has a public address.
    await member.page.evaluate(() => localStorage.setItem('sotto.allowLoopbackSfu', '1'));
    await registerInBrowser(member);
  }
  await befriendFromCli(bob, [{ name: 'ana', member: ana }], server.url);
  await ana.ok(['contacts', 'request', 'dee', 'Ana here']);
  await acceptContact(dee, 'ana');
  await ana.ok(['sync']);
  await ana.ok(['group', 'create', 'crew', 'bob', 'dee']);
});

after(async () => {
  for (const browser of browsers) await browser.close();
  await server?.stop();
  await janus?.dispose();
  dir.remove();
});

/** Inbound video over all the page's peer connections: frames decoded, and the largest frame width. */
function inboundVideo(member: BrowserMember): Promise<{ framesDecoded: number; width: number; codecs: string[] }> {
  return member.page.evaluate(async () => {
    const pcs = (window as unknown as { __rtc: { instances: RTCPeerConnection[] } }).__rtc.instances;
    const out = { framesDecoded: 0, width: 0, codecs: [] as string[] };
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s: Record<string, unknown>) => {
        if (s['type'] !== 'inbound-rtp' || s['kind'] !== 'video') return;
        out.framesDecoded += Number(s['framesDecoded'] ?? 0);
        out.width = Math.max(out.width, Number(s['frameWidth'] ?? 0));
        const codec = report.get(String(s['codecId'])) as Record<string, unknown> | undefined;
        if (typeof codec?.['mimeType'] === 'string') out.codecs.push(codec['mimeType']);
      });
    }
    return out;
  });
}

/** Whether the page's <video> labelled `label` shows a picture (frames with a size). */
function pictured(member: BrowserMember, label: string): Promise<{ width: number; height: number }> {
  return member.page.getByRole('group', { name: 'Video in the call' }).getByLabel(label)
    .evaluate((video: HTMLVideoElement) => ({ width: video.videoWidth, height: video.videoHeight }));
}

/** Live camera tracks the page holds (sending or previewing). */
function liveCameraTracks(member: BrowserMember): Promise<number> {
  return member.page.evaluate(() => {
    const pcs = (window as unknown as { __rtc: { instances: RTCPeerConnection[] } }).__rtc.instances;
    return pcs.flatMap((pc) => (pc.connectionState === 'closed' ? [] : pc.getSenders())).filter((s) => s.track?.kind === 'video' && s.track.readyState === 'live').length;
  });
}

test('two browsers turn their cameras on in a group call and see each other; the CLI member, audio only, hears both', { skip, timeout: 150_000 }, async (t) => {
  const anaRun = ana.run(['group', 'call', 'crew', '--allow-loopback-candidates', '--play', tone(660), '--record', join(dir.path, 'ana-heard.wav'), '--seconds', '34'], { timeoutMs: 90_000 });

  for (const member of [bob, dee]) {
    await openTab(member, 'Chats');
    await member.page.getByRole('button', { name: /Group crew/ }).click({ timeout: 30_000 });
    const bar = member.page.getByRole('region', { name: 'Group call' });
    await bar.getByText(/Call in progress: ana/).waitFor({ timeout: 30_000 });
    await bar.getByRole('button', { name: 'Join' }).click();
    await bar.getByTestId('group-call-status').getByText(/In the call with/).waitFor({ timeout: 30_000 });
  }
  for (const [member, others] of [[bob, /ana, dee|dee, ana/], [dee, /ana, bob|bob, ana/]] as const) {
    await member.page.getByRole('region', { name: 'Group call' }).getByTestId('group-call-status').getByText(others).waitFor({ timeout: 30_000 });
    // Joined: the microphone, not the camera.
    assert.equal(await member.cameraRequests(), 0, `${member.name}'s camera was asked for before Camera on`);
    assert.equal(await liveCameraTracks(member), 0);
  }

  // Bob's camera, on his click: Dee decodes his picture, named as his.
  await bob.page.getByRole('region', { name: 'Group call' }).getByRole('button', { name: 'Camera on' }).click();
  assert.equal(await bob.cameraRequests(), 1);
  const bobSeen = await eventually(async () => {
    const size = await pictured(dee, "bob's video").catch(() => undefined);
    return size && size.width > 0 ? size : undefined;
  }, "bob's picture at dee", 30_000);
  t.diagnostic(`dee sees bob's camera at ${bobSeen.width}x${bobSeen.height}`);
  assert.equal(await dee.cameraRequests(), 0, "dee's camera opened without her click");

  await dee.page.getByRole('region', { name: 'Group call' }).getByRole('button', { name: 'Camera on' }).click();
  const deeSeen = await eventually(async () => {
    const size = await pictured(bob, "dee's video").catch(() => undefined);
    return size && size.width > 0 ? size : undefined;
  }, "dee's picture at bob", 30_000);
  t.diagnostic(`bob sees dee's camera at ${deeSeen.width}x${deeSeen.height}`);

  // Frames keep coming (a picture, not one key frame), in VP8, the only video codec allowed.
  const before = { bob: await inboundVideo(bob), dee: await inboundVideo(dee) };
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const later = { bob: await inboundVideo(bob), dee: await inboundVideo(dee) };
  for (const name of ['bob', 'dee'] as const) {
    const decoded = later[name].framesDecoded - before[name].framesDecoded;
    t.diagnostic(`${name} decoded ${decoded} video frames in 3 s (${[...new Set(later[name].codecs)].join(', ')}), up to ${later[name].width} px wide`);
    assert.ok(decoded >= 15, `${name} decoded only ${decoded} frames in 3 s`);
    assert.deepEqual([...new Set(later[name].codecs)], ['video/VP8']);
  }
  await keepScreenshot(bob, 'group-video-desktop');
  await keepScreenshot(dee, 'group-video-phone');

  // Camera off: the camera closes (its light goes out), the call goes on.
  await bob.page.getByRole('region', { name: 'Group call' }).getByRole('button', { name: 'Camera off' }).click();
  await eventually(async () => ((await liveCameraTracks(bob)) === 0 ? true : undefined), "bob's camera closed", 5_000);
  await bob.page.getByRole('region', { name: 'Group call' }).getByRole('button', { name: 'Camera on' }).waitFor();
  // Dee's tile of bob goes once his frames stop opening: no frozen last picture.
  await dee.page.getByLabel("bob's video").waitFor({ state: 'detached', timeout: 5_000 });
  assert.equal(await dee.page.getByLabel("dee's video").count() + await dee.page.getByLabel('Your camera').count(), 1, "dee's own camera still shows");
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  for (const member of [bob, dee]) await member.page.getByRole('region', { name: 'Group call' }).getByRole('button', { name: 'Leave' }).click();

  const run = await anaRun;
  assert.equal(run.code, 0, run.stderr);
  for (const name of ['bob', 'dee']) assert.ok(run.records.some((r) => r.state === 'hearing' && r.user === name), `ana never heard ${name}`);
  const pcm = await readWav(join(dir.path, 'ana-heard.wav'));
  for (const [name, hz] of [['bob', 440], ['dee', 880]] as const) {
    const seconds: number[] = [];
    for (let i = 0; i + 48_000 <= pcm.length; i += 48_000) seconds.push(goertzel(pcm.subarray(i, i + 48_000), hz, 48_000));
    t.diagnostic(`ana's recording: ${hz} Hz (${name}) above 0.05 in ${seconds.filter((l) => l > 0.05).length} of ${seconds.length} s, up to ${Math.max(...seconds).toFixed(3)}`);
    assert.ok(seconds.filter((l) => l > 0.05).length >= 4, `ana did not hear ${name}: ${seconds.map((l) => l.toFixed(2)).join(' ')}`);
  }
});
