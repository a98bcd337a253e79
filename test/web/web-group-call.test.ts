/**
 * Scenario: a group call in the web app (issue 20), real Chromium against a real `sotto serve
 * --sfu` and Debian's Janus, with two CLI members. Ana (660 Hz) and Cat (880 Hz) call the group
 * from the CLI; Bob, in the browser (its fake microphone plays 440 Hz), sees the call in progress
 * with nothing of it in his page (no peer connection, no microphone), joins with a click, hears
 * both (his worker opened their SFrame frames: audio energy on both streams) and is heard by both
 * (their recordings hold his 440 Hz, sealed by his browser's encoded transform), then leaves.
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
import { befriendFromCli, keepScreenshot, openTab, registerInBrowser } from './ui.js';

const skip = browserSkipReason() ?? requireJanus().skip;
const dir = scratchDir('web-group-call');
let janus: JanusProcess;
let server: ServerProcess;
let browser: Browser;
let bob: BrowserMember;
const ana = new Member('ana', dir.path);
const cat = new Member('cat', dir.path);
const tone = (hz: number) => join(dir.path, `${hz}.wav`);

before(async () => {
  if (skip) return;
  for (const hz of [660, 880]) await writeWav(tone(hz), sineWave(hz, 4, 48_000));
  // The browser's microphone path suppresses steady noise, and a steady sine is just that after a
  // second or two: Bob's tone comes in 200 ms bursts, as speech comes in syllables.
  const bursts = sineWave(440, 4, 48_000);
  for (let i = 0; i < bursts.length; i++) if (Math.floor(i / 9_600) % 2 === 1) bursts[i] = 0;
  await writeWav(tone(440), bursts);
  janus = await JanusProcess.start({ rtpPortMin: 42_200 });
  const secretFile = join(dir.path, 'sfu-secret');
  writeFileSync(secretFile, janus.secret, { mode: 0o600 });
  server = await ServerProcess.start(join(dir.path, 'server'), ['--sfu', janus.url, '--sfu-secret-file', secretFile]);
  browser = await launchBrowser({ fakeAudio: tone(440) });
  bob = await BrowserMember.open(browser, 'bob', server.url);
  // Janus here offers loopback candidates only; a deployed SFU has a public address.
  await bob.page.evaluate(() => localStorage.setItem('sotto.allowLoopbackSfu', '1'));
  await registerInBrowser(bob);
  await befriendFromCli(bob, [{ name: 'ana', member: ana }, { name: 'cat', member: cat }], server.url);
  await ana.ok(['contacts', 'request', 'cat', 'hi']);
  await cat.ok(['contacts', 'accept', 'ana']);
  await ana.ok(['sync']);
  await ana.ok(['group', 'create', 'band', 'bob', 'cat']);
  await cat.ok(['sync']);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await janus?.dispose();
  dir.remove();
});

/** Inbound audio on every peer connection of the page: packets and energy (after decoding). */
function inboundAudio(member: BrowserMember): Promise<{ streams: number; energy: number[] }> {
  return member.page.evaluate(async () => {
    const pcs = (window as unknown as { __rtc: { instances: RTCPeerConnection[] } }).__rtc.instances;
    const energy: number[] = [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s['type'] === 'inbound-rtp' && s['kind'] === 'audio') energy.push(Number(s['totalAudioEnergy'] ?? 0));
      });
    }
    return { streams: energy.length, energy };
  });
}

test('a browser sees the call in progress with nothing of it open, joins with a click, hears both CLI members and is heard by both', { skip, timeout: 120_000 }, async (t) => {
  const call = (m: Member, hz: number) =>
    m.run(['group', 'call', 'band', '--allow-loopback-candidates', '--play', tone(hz), '--record', join(dir.path, `${m.name}-heard.wav`), '--seconds', '25'], { timeoutMs: 60_000 });
  const calls = Promise.all([call(ana, 660), call(cat, 880)]);

  await openTab(bob, 'Chats');
  await bob.page.getByRole('button', { name: /Group band/ }).click({ timeout: 30_000 });
  const bar = bob.page.getByRole('region', { name: 'Group call' });
  await bar.getByText(/Call in progress: (ana, cat|cat, ana)/).waitFor({ timeout: 30_000 });
  // Consent: a call in progress opens nothing in the page until its member joins.
  assert.deepEqual(await bob.rtc(), { peerConnections: 0, getUserMedia: 0, remoteDescriptions: 0, remoteCandidates: 0 });
  await keepScreenshot(bob, 'group-call-in-progress-desktop');

  await bar.getByRole('button', { name: 'Join' }).click();
  await bar.getByTestId('group-call-status').getByText(/In the call with (ana, cat|cat, ana)/).waitFor({ timeout: 30_000 });
  const heard = await eventually(async () => {
    const inbound = await inboundAudio(bob);
    return inbound.streams === 2 && inbound.energy.every((e) => e > 0.01) ? inbound : undefined;
  }, 'audio energy on both streams', 20_000);
  t.diagnostic(`bob's streams: ${heard.energy.map((e) => e.toFixed(3)).join(', ')} (total audio energy)`);
  await bar.getByTestId('group-call-speaking').getByText(/Speaking: (ana, cat|cat, ana)/).waitFor({ timeout: 10_000 });
  await keepScreenshot(bob, 'group-call-joined-desktop');
  await bob.page.setViewportSize({ width: 390, height: 780 });
  await keepScreenshot(bob, 'group-call-joined-phone');
  await bob.page.setViewportSize({ width: 1100, height: 760 });
  await bar.getByRole('button', { name: 'Mute' }).click();
  assert.equal(await bar.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await bob.page.evaluate(() => {
    const pcs = (window as unknown as { __rtc: { instances: RTCPeerConnection[] } }).__rtc.instances;
    return pcs.flatMap((pc) => pc.getSenders()).filter((sender) => sender.track?.kind === 'audio' && sender.track.enabled).length;
  }), 0, 'a microphone track still sends while muted');
  await bar.getByRole('button', { name: 'Unmute' }).click();
  // Heard for a few seconds more, then Leave.
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  await bar.getByRole('button', { name: 'Leave' }).click();
  await bar.waitFor({ state: 'detached', timeout: 20_000 }).catch(() => undefined);

  const runs = await calls;
  for (const run of runs) assert.equal(run.code, 0, run.stderr);
  for (const [name, other] of [['ana', 880], ['cat', 660]] as const) {
    const run = runs[name === 'ana' ? 0 : 1]!;
    assert.ok(run.records.some((r) => r.state === 'hearing' && r.user === 'bob'), `${name} never heard bob`);
    const pcm = await readWav(join(dir.path, `${name}-heard.wav`));
    // Bob was in the call for part of the recording: his tone is measured second by second.
    const seconds: number[] = [];
    for (let i = 0; i + 48_000 <= pcm.length; i += 48_000) seconds.push(goertzel(pcm.subarray(i, i + 48_000), 440, 48_000));
    const levels = { bob440: Math.max(...seconds), secondsWithBob: seconds.filter((l) => l > 0.05).length, other: goertzel(pcm, other, 48_000) };
    t.diagnostic(`${name}'s recording: 440 Hz (bob) up to ${levels.bob440.toFixed(3)}, above 0.05 in ${levels.secondsWithBob} of ${seconds.length} s; ${other} Hz ${levels.other.toFixed(3)}`);
    assert.ok(levels.secondsWithBob >= 4, `${name} did not hear bob's tone: ${seconds.map((l) => l.toFixed(2)).join(' ')}`);
    assert.ok(levels.other > 0.05, `${name} did not hear the other CLI member`);
  }
});
