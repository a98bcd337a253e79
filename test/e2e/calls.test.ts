/**
 * Scenario: 1:1 voice calls between real CLI processes through a real server.
 * Alice plays 440 Hz and Bob 660 Hz; each recording must hold the other's tone (Goertzel).
 * Then: hang-up from the callee, decline, busy, a stranger's call that only logs a missed call
 * request, and a flood of rings stopped by the server's ring limit. Beside them, between two members
 * of its own, a 45 s ring timeout: it waits, so it runs while the others do rather than after them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { goertzel, readWav, sineWave, writeWav } from '@sotto/client-node/calls';
import { Member } from '../support/cli.js';
import { Listener } from '../support/listener.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const dir = scratchDir('calls');
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);
const carol = new Member('carol', dir.path);
const mallory = new Member('mallory', dir.path);
/** The ring timeout's caller and callee: nobody else calls them, so it can run beside the other calls. */
const dora = new Member('dora', dir.path);
const erin = new Member('erin', dir.path);
const tone440 = join(dir.path, 'a440.wav');
const tone660 = join(dir.path, 'b660.wav');
const LOOPBACK = '--allow-loopback-candidates';
const listeners: Listener[] = [];

function listen(member: Member, args: string[]): Listener {
  const listener = new Listener(member, [LOOPBACK, ...args]);
  listeners.push(listener);
  return listener;
}

async function befriend(a: Member, b: Member): Promise<void> {
  await a.ok(['contacts', 'request', b.name, 'hi']);
  await b.ok(['sync']);
  await b.ok(['contacts', 'accept', a.name]);
  await a.ok(['sync']);
}

const ended = (r: Record<string, unknown>) => r.type === 'call' && r.state === 'ended';

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'), ['--rings-per-minute', '60']);
  await writeWav(tone440, sineWave(440, 2, 48_000));
  await writeWav(tone660, sineWave(660, 2, 48_000));
  for (const m of [alice, bob, carol, mallory]) await m.ok(['register', m.name, '--server', server.url]);
  await befriend(alice, bob);
  await befriend(carol, bob);
});

after(async () => {
  await Promise.all(listeners.map((l) => l.stop()));
  await server?.stop();
  dir.remove();
});

describe('calls', { concurrency: 2 }, () => {
  describe('one call at a time', { concurrency: 1 }, () => {
    test('a call carries audio both ways: each recording holds the other side\'s tone', async () => {
      const bobRecording = join(dir.path, 'bob-heard.wav');
      const aliceRecording = join(dir.path, 'alice-heard.wav');
      const bobListens = listen(bob, ['--accept-calls', '--play', tone660, '--record', bobRecording]);
      await bobListens.ready();
      const call = await alice.run(['call', 'bob', LOOPBACK, '--play', tone440, '--record', aliceRecording, '--seconds', '3']);
      assert.equal(call.code, 0, call.stderr);
      assert.ok(call.records.some((r) => r.state === 'audio'), 'alice heard audio');
      const end = call.records.find(ended);
      assert.equal(end?.reason, 'hangup-local');
      assert.ok(Number(end?.durationMs) >= 2900 && Number(end?.durationMs) < 4000, `duration ${String(end?.durationMs)}`);
      const bobEnd = await bobListens.waitFor(ended, 'the end of the call');
      assert.equal(bobEnd.reason, 'hangup-remote');
      await bobListens.stop();

      const heardByAlice = await readWav(aliceRecording);
      const heardByBob = await readWav(bobRecording);
      assert.ok(heardByAlice.length > 2 * 48_000, `alice recorded ${heardByAlice.length} samples`);
      assert.ok(heardByBob.length > 2 * 48_000, `bob recorded ${heardByBob.length} samples`);
      const measure = (pcm: Int16Array) => ({ f440: goertzel(pcm, 440, 48_000), f660: goertzel(pcm, 660, 48_000) });
      const a = measure(heardByAlice);
      const b = measure(heardByBob);
      assert.ok(a.f660 > 0.5 && a.f440 < 0.05, `alice's recording: ${JSON.stringify(a)}`);
      assert.ok(b.f440 > 0.5 && b.f660 < 0.05, `bob's recording: ${JSON.stringify(b)}`);

      const log = await alice.ok(['calls']);
      assert.deepEqual(log.map((e) => [e.peer, e.direction, e.outcome]), [['bob', 'outgoing', 'answered']]);
      const bobLog = await bob.ok(['calls']);
      assert.deepEqual(bobLog.map((e) => [e.peer, e.direction, e.outcome]), [['alice', 'incoming', 'answered']]);
    });

    test('the callee can hang up', async () => {
      const bobListens = listen(bob, ['--accept-calls', '--seconds', '1']);
      await bobListens.ready();
      const call = await alice.run(['call', 'bob', LOOPBACK]);
      assert.equal(call.code, 0, call.stderr);
      assert.equal(call.records.find(ended)?.reason, 'hangup-remote');
      assert.equal((await bobListens.waitFor(ended, 'the end')).reason, 'hangup-local');
      await bobListens.stop();
    });

    test('a declined call ends at once for the caller, with exit code 1', async () => {
      const bobListens = listen(bob, ['--decline-calls']);
      await bobListens.ready();
      const call = await alice.run(['call', 'bob', LOOPBACK]);
      assert.equal(call.code, 1);
      assert.equal(call.records.find(ended)?.reason, 'declined-remote');
      assert.equal((await bobListens.waitFor(ended, 'the end')).reason, 'declined-local');
      await bobListens.stop();
      const log = await alice.ok(['calls']);
      assert.equal(log.at(-1)?.outcome, 'declined');
    });

    test('a second caller gets busy while a call is on', async () => {
      const bobListens = listen(bob, ['--accept-calls']);
      await bobListens.ready();
      const first = alice.run(['call', 'bob', LOOPBACK, '--seconds', '4']);
      await bobListens.waitFor((r) => r.type === 'call' && r.state === 'active', 'the first call connecting');
      const second = await carol.run(['call', 'bob', LOOPBACK]);
      assert.equal(second.code, 1);
      assert.equal(second.records.find(ended)?.reason, 'busy');
      const firstResult = await first;
      assert.equal(firstResult.code, 0, 'the first call was not disturbed');
      assert.equal(firstResult.records.find(ended)?.reason, 'hangup-local');
      await bobListens.stop();
    });

    test("a stranger's call rings nothing: the member sees only a missed call request", async () => {
      const bobListens = listen(bob, []);
      await bobListens.ready();
      const call = await mallory.run(['call', 'bob', LOOPBACK]);
      assert.equal(call.code, 1);
      assert.match(call.stderr, /"code":"NOT_A_CONTACT","message":"bob is not your contact: no call was placed\. They were sent a call request, which they see as a missed call request\."/);
      const missed = await bobListens.waitFor((r) => r.type === 'call-log' && r.outcome === 'missed-request', 'the missed call request');
      assert.equal(missed.peer, 'mallory');
      await bobListens.stop();
      assert.ok(!bobListens.records.some((r) => r.type === 'call' && r.state === 'ringing'), 'nothing rang');
      const log = await bob.ok(['calls']);
      assert.deepEqual(log.at(-1) && [log.at(-1)?.peer, log.at(-1)?.outcome], ['mallory', 'missed-request']);
      const contacts = await bob.ok(['contacts', 'list']);
      assert.equal(contacts.find((c) => c.username === 'mallory')?.state, 'pending');
    });

    test('a flood of rings is stopped by the server: the third call in a minute is refused', async () => {
      const floodDir = join(dir.path, 'flood');
      const limited = await ServerProcess.start(join(floodDir, 'server'), ['--rings-per-minute', '2']);
      try {
        const eve = new Member('eve', floodDir);
        const dan = new Member('dan', floodDir);
        for (const m of [eve, dan]) await m.ok(['register', m.name, '--server', limited.url]);
        await befriend(eve, dan);
        const danListens = listen(dan, ['--decline-calls']);
        await danListens.ready();
        for (let i = 0; i < 2; i++) {
          const declined = await eve.run(['call', 'dan', LOOPBACK]);
          assert.equal(declined.records.find(ended)?.reason, 'declined-remote');
        }
        const refused = await eve.run(['call', 'dan', LOOPBACK]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /"code":"RATE_LIMITED","message":"Too many calls: at most 2 a minute\. Try again in \d+ s\."/);
        await danListens.stop();
        assert.equal(danListens.records.filter((r) => r.type === 'call' && r.state === 'ringing').length, 2, 'only two rings reached dan');
      } finally {
        await limited.stop();
      }
    });
  });

  test('an unanswered call times out after 45 s on both sides', { timeout: 120_000 }, async () => {
    for (const m of [dora, erin]) await m.ok(['register', m.name, '--server', server.url]);
    await befriend(dora, erin);
    const erinListens = listen(erin, []);
    await erinListens.ready();
    const started = Date.now();
    const call = await dora.run(['call', 'erin', LOOPBACK], { timeoutMs: 80_000 });
    const elapsed = Date.now() - started;
    assert.equal(call.code, 1);
    assert.equal(call.records.find(ended)?.reason, 'timeout');
    assert.ok(elapsed >= 45_000 && elapsed < 55_000, `timed out after ${elapsed} ms`);
    assert.ok(erinListens.records.some((r) => r.type === 'call' && r.state === 'ringing'), 'it rang at erin');
    assert.equal((await erinListens.waitFor(ended, 'the missed call')).reason, 'missed');
    await erinListens.stop();
    assert.equal((await erin.ok(['calls'])).at(-1)?.outcome, 'missed');
  });
});
