/**
 * Scenario: a relay-only call through coturn (Debian's package) on 127.0.0.1. The server hands
 * out TURN REST credentials from the secret it shares with coturn; both members call with
 * --relay-only. Audio must flow both ways, and every candidate either side sent must be a relay
 * candidate, so neither learned the other's address. A member in lockdown joins a group call
 * through Janus with relay candidates only, and is heard.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goertzel, readWav, sineWave, writeWav } from '@sotto/client-node/calls';
import { Member } from '../support/cli.js';
import { Listener } from '../support/listener.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { Coturn, haveCoturn, requireCoturn } from '../support/coturn.js';
import { JanusProcess, requireJanus } from '../support/janus-process.js';

requireCoturn('the relay-only call scenario');
const janusSkip = requireJanus();

const dir = scratchDir('calls-relay');
let turn: Coturn | undefined;
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);
const LOOPBACK = '--allow-loopback-candidates';

before(async () => {
  if (!haveCoturn) return;
  turn = await Coturn.start(dir.path, 49_200);
  server = await ServerProcess.start(join(dir.path, 'server'), turn.serverArgs);
  for (const m of [alice, bob]) await m.ok(['register', m.name, '--server', server.url]);
  await alice.ok(['contacts', 'request', 'bob', 'hi']);
  await bob.ok(['sync']);
  await bob.ok(['contacts', 'accept', 'alice']);
  await alice.ok(['sync']);
});

after(async () => {
  await server?.stop();
  turn?.stop();
  dir.remove();
});

test('a relay-only call carries audio, and every candidate either side sent is a relay candidate', { skip: !haveCoturn }, async () => {
  const tone440 = join(dir.path, 'a440.wav');
  const tone660 = join(dir.path, 'b660.wav');
  await writeWav(tone440, sineWave(440, 2, 48_000));
  await writeWav(tone660, sineWave(660, 2, 48_000));
  // Bob's relay-only comes from his setting, Alice's from the per-call flag: both paths are used.
  await bob.ok(['settings', '--relay-only-calls', 'on']);
  const bobRecording = join(dir.path, 'bob-heard.wav');
  const aliceRecording = join(dir.path, 'alice-heard.wav');
  const bobListens = new Listener(bob, [LOOPBACK, '--accept-calls', '--play', tone660, '--record', bobRecording]);
  try {
    await bobListens.ready();
    const call = await alice.run(['call', 'bob', LOOPBACK, '--relay-only', '--play', tone440, '--record', aliceRecording, '--seconds', '3']);
    assert.equal(call.code, 0, call.stderr);
    await bobListens.waitFor((r) => r.type === 'call' && r.state === 'ended', 'the end of the call');
    await bobListens.stop();

    const sentBy = (records: Record<string, unknown>[]) => records.filter((r) => r.type === 'call-candidate' && r.direction === 'sent').map((r) => r.candidateType);
    const aliceSent = sentBy(call.records);
    const bobSent = sentBy(bobListens.records);
    assert.ok(aliceSent.length > 0 && bobSent.length > 0, `candidates sent: alice ${aliceSent.length}, bob ${bobSent.length}`);
    assert.deepEqual([...new Set([...aliceSent, ...bobSent])], ['relay']);

    const heardByAlice = await readWav(aliceRecording);
    const heardByBob = await readWav(bobRecording);
    assert.ok(goertzel(heardByAlice, 660, 48_000) > 0.5, 'alice heard 660 Hz through the relay');
    assert.ok(goertzel(heardByBob, 440, 48_000) > 0.5, 'bob heard 440 Hz through the relay');
    assert.match(turn!.log, /ALLOCATE processed, success/, 'coturn allocated relays');
  } finally {
    await bobListens.stop();
  }
});

test('in lockdown mode every call of the member is relay-only, placed or answered, without any flag or setting', { skip: !haveCoturn }, async () => {
  await bob.ok(['settings', '--relay-only-calls', 'off']);
  await alice.ok(['lockdown', 'on']);
  const sentBy = (records: Record<string, unknown>[]) => records.filter((r) => r.type === 'call-candidate' && r.direction === 'sent').map((r) => r.candidateType);
  try {
    // Alice calls.
    const bobListens = new Listener(bob, [LOOPBACK, '--accept-calls']);
    await bobListens.ready();
    const placed = await alice.run(['call', 'bob', LOOPBACK, '--seconds', '1']);
    assert.equal(placed.code, 0, placed.stderr);
    await bobListens.waitFor((r) => r.type === 'call' && r.state === 'ended', 'the end of the call');
    await bobListens.stop();
    assert.ok(sentBy(placed.records).length > 0);
    assert.deepEqual([...new Set(sentBy(placed.records))], ['relay'], 'alice placed it relay-only');
    // Alice answers.
    const aliceListens = new Listener(alice, [LOOPBACK, '--accept-calls']);
    try {
      await aliceListens.ready();
      const answered = await bob.run(['call', 'alice', LOOPBACK, '--seconds', '1']);
      assert.equal(answered.code, 0, answered.stderr);
      await aliceListens.waitFor((r) => r.type === 'call' && r.state === 'ended', 'the end of the call');
    } finally {
      await aliceListens.stop();
    }
    assert.ok(sentBy(aliceListens.records).length > 0);
    assert.deepEqual([...new Set(sentBy(aliceListens.records))], ['relay'], 'alice answered relay-only');
  } finally {
    await alice.ok(['lockdown', 'off']);
  }
});

test('relay-only without TURN configured is refused before anything rings', { skip: !haveCoturn }, async () => {
  const plainDir = join(dir.path, 'plain');
  const plain = await ServerProcess.start(join(plainDir, 'server'));
  try {
    const carol = new Member('carol', plainDir);
    const dave = new Member('dave', plainDir);
    for (const m of [carol, dave]) await m.ok(['register', m.name, '--server', plain.url]);
    await carol.ok(['contacts', 'request', 'dave', 'hi']);
    await dave.ok(['sync']);
    await dave.ok(['contacts', 'accept', 'carol']);
    await carol.ok(['sync']);
    const call = await carol.run(['call', 'dave', '--relay-only']);
    assert.equal(call.code, 1);
    assert.match(call.stderr, /"code":"NO_TURN","message":"Relay-only calls need a TURN server, and this server has none configured\."/);
    await dave.ok(['sync']);
    assert.deepEqual(await dave.ok(['calls']), [], 'nothing rang, nothing was logged');
  } finally {
    await plain.stop();
  }
});

test('a member in lockdown joins a group call through the relay only, and is heard', { skip: !haveCoturn || Boolean(janusSkip.skip), timeout: 120_000 }, async (t) => {
  // A server of its own: Janus behind it, and a relay that sends from this machine's interface,
  // where Janus gathers (it cannot answer a loopback source).
  const groupDir = join(dir.path, 'group');
  mkdirSync(groupDir, { recursive: true });
  const janus = await JanusProcess.start({ rtpPortMin: 43_800 });
  const relay = await Coturn.start(groupDir, 43_000, { relayOnInterface: true });
  const secretFile = join(groupDir, 'sfu-secret');
  writeFileSync(secretFile, janus.secret, { mode: 0o600 });
  const groupServer = await ServerProcess.start(join(groupDir, 'server'), ['--sfu', janus.url, '--sfu-secret-file', secretFile, ...relay.serverArgs]);
  const ana = new Member('ana', groupDir);
  const ben = new Member('ben', groupDir);
  try {
    for (const m of [ana, ben]) await m.ok(['register', m.name, '--server', groupServer.url]);
    await ana.ok(['contacts', 'request', 'ben', 'hi']);
    await ben.ok(['sync']);
    await ben.ok(['contacts', 'accept', 'ana']);
    await ana.ok(['sync']);
    await ana.ok(['group', 'create', 'band', 'ben']);
    await ben.ok(['sync']);
    for (const [name, hz] of Object.entries(TONES)) await writeWav(join(groupDir, `${name}.wav`), sineWave(hz, 2, 48_000));
    await lockedDown(ben, ana, groupDir, relay, t);
  } finally {
    await groupServer.stop();
    relay.stop();
    await janus.dispose();
  }
});

const TONES = { ana: 440, ben: 660 } as const;

async function lockedDown(ben: Member, ana: Member, groupDir: string, turn: Coturn, t: { diagnostic(message: string): void }): Promise<void> {
  await ben.ok(['lockdown', 'on']);
  try {
    const call = (m: Member) => m.run(['group', 'call', 'band', LOOPBACK, '--play', join(groupDir, `${m.name}.wav`), '--record', join(groupDir, `${m.name}-lockdown.wav`), '--seconds', '6'], { timeoutMs: 60_000 });
    const [anaRun, benRun] = await Promise.all([call(ana), call(ben)]);
    for (const run of [anaRun, benRun]) assert.equal(run.code, 0, run.stderr);
    const announced = (records: Record<string, unknown>[]) => records.filter((r) => r.type === 'group-call-candidates').flatMap((r) => r.types as string[]);
    t.diagnostic(`ben announced ${JSON.stringify(announced(benRun.records))}; ana ${JSON.stringify(announced(anaRun.records))}`);
    assert.ok(announced(benRun.records).length > 0, 'ben announced no candidate');
    assert.deepEqual([...new Set(announced(benRun.records))], ['relay'], 'ben, in lockdown, announced an address of his own');
    assert.ok(announced(anaRun.records).includes('host'), 'ana, not in lockdown, announces her host candidates');
    assert.ok(goertzel(await readWav(join(groupDir, 'ana-lockdown.wav')), TONES.ben, 48_000) > 0.2, 'ana did not hear ben through the relay');
    assert.ok(goertzel(await readWav(join(groupDir, 'ben-lockdown.wav')), TONES.ana, 48_000) > 0.2, 'ben did not hear ana');
    assert.match(turn.log, /ALLOCATE processed, success/, 'coturn allocated a relay');
  } finally {
    await ben.ok(['lockdown', 'off']);
  }
}
