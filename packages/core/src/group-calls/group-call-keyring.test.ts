import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mlsExporter, type CiphersuiteImpl } from 'ts-mls';
import { loadCiphersuite } from '../mls/suite.js';
import { SFrameError, type SFrameErrorReason } from '../sframe/sframe-error.js';
import { GroupCallKeyring, RETIRED_EPOCH_GRACE_MS, type GroupCallEpoch, type GroupCallMember } from './group-call-keyring.js';

let impl: CiphersuiteImpl;
before(async () => {
  impl = await loadCiphersuite();
});

const alice: GroupCallMember = { user: 'alice', device: 'a1' };
const bob: GroupCallMember = { user: 'bob', device: 'b1' };
const carol: GroupCallMember = { user: 'carol', device: 'c1' };

/** The group's exporter secret per epoch, as MLS would give every member of that epoch. */
const secrets = new Map<bigint, Uint8Array>();
function secretOf(epoch: bigint): Uint8Array {
  let secret = secrets.get(epoch);
  if (!secret) secrets.set(epoch, (secret = crypto.getRandomValues(new Uint8Array(64))));
  return secret;
}

function epochAt(epoch: bigint, ownLeaf: number, members: readonly GroupCallMember[]): GroupCallEpoch {
  return {
    epoch,
    ownLeaf,
    members: new Map(members.map((m, leaf) => [leaf, m])),
    exporter: (label, context, length) => mlsExporter(secretOf(epoch), label, context, length, impl),
  };
}

async function keyring(epoch: bigint, ownLeaf: number, members: readonly GroupCallMember[], context = 1n): Promise<GroupCallKeyring> {
  const ring = new GroupCallKeyring(context);
  await ring.enterEpoch(epochAt(epoch, ownLeaf, members));
  return ring;
}

function refused(run: () => unknown): SFrameErrorReason {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SFrameError, `expected an SFrameError, got ${String(error)}`);
    return error.reason;
  }
  assert.fail('the frame opened');
}

const frame = (text: string) => new TextEncoder().encode(text);
const three = [alice, bob, carol];

test('a frame sealed by one participant opens at another, naming its sender; the SFU sees no plaintext', async () => {
  const [a, b] = [await keyring(5n, 0, three), await keyring(5n, 1, three)];
  const sealed = a.seal(frame('opus frame 1'));
  assert.ok(!Buffer.from(sealed).includes(Buffer.from('opus frame')), 'plaintext visible in the sealed frame');
  const opened = b.open(sealed);
  assert.deepEqual(opened.from, alice);
  assert.equal(new TextDecoder().decode(opened.plaintext), 'opus frame 1');
  // Each sender its own key: bob's frames open at alice too, as bob's.
  assert.deepEqual(a.open(b.seal(frame('x'))).from, bob);
});

test('a replayed frame, a flipped bit, an unknown leaf and a frame of our own are each refused, and the call goes on', async () => {
  const [a, b] = [await keyring(5n, 0, three), await keyring(5n, 1, three)];
  const first = a.seal(frame('one'));
  b.open(first);
  assert.equal(refused(() => b.open(first)), 'REPLAY');
  const flipped = a.seal(frame('two'));
  flipped[flipped.length - 1]! ^= 1;
  assert.equal(refused(() => b.open(flipped)), 'AUTH_FAILED');
  // A stranger at leaf 7, who is no member of the epoch.
  const stranger = await keyring(5n, 7, three);
  assert.equal(refused(() => b.open(stranger.seal(frame('hi')))), 'UNKNOWN_KID');
  assert.equal(refused(() => b.open(b.seal(frame('echo')))), 'UNKNOWN_KID');
  assert.equal(refused(() => b.open(new Uint8Array([0xff]))), 'BAD_HEADER');
  // Alice's next frame still opens: nothing above harmed her key.
  assert.equal(new TextDecoder().decode(b.open(a.seal(frame('three'))).plaintext), 'three');
});

test('a forged frame under a sender\'s KID, arriving before any of theirs, leaves no key behind', async () => {
  const [a, b] = [await keyring(5n, 0, three), await keyring(5n, 1, three)];
  const genuine = a.seal(frame('genuine'));
  const forged = genuine.slice();
  forged[forged.length - 3]! ^= 0x40;
  assert.equal(refused(() => b.open(forged)), 'AUTH_FAILED');
  assert.equal(new TextDecoder().decode(b.open(genuine).plaintext), 'genuine');
});

test('across a commit, frames of the epoch before still open; two epochs on, they do not; a removed member opens nothing new', async () => {
  const a = await keyring(5n, 0, three);
  const b = await keyring(5n, 1, three);
  const c = await keyring(5n, 2, three);
  b.open(a.seal(frame('alice speaking in epoch 5')));
  const late = a.seal(frame('sent in epoch 5'));
  // Carol is removed: epoch 6 has alice and bob only, and carol never learns its exporter.
  const two = [alice, bob];
  await b.enterEpoch(epochAt(6n, 1, two));
  // In flight across the commit, under a key already in use: it still opens.
  assert.equal(new TextDecoder().decode(b.open(late).plaintext), 'sent in epoch 5');
  await a.enterEpoch(epochAt(6n, 0, two));
  const inSix = a.seal(frame('sent in epoch 6'));
  assert.equal(new TextDecoder().decode(b.open(inSix).plaintext), 'sent in epoch 6');
  assert.equal(refused(() => c.open(inSix)), 'UNKNOWN_KID', 'the removed member opened a frame of the epoch after');
  const olderStill = (await keyring(5n, 0, three, 9n)).seal(frame('epoch 5 again'));
  await b.enterEpoch(epochAt(7n, 1, two));
  assert.equal(refused(() => b.open(olderStill)), 'UNKNOWN_KID');
  // An older epoch handed in late changes nothing.
  await b.enterEpoch(epochAt(5n, 1, three));
  assert.equal(b.epoch, 7n);
});

test('two joins of one device in one epoch send under different KIDs, so neither replays the other', async () => {
  const b = await keyring(5n, 1, three);
  const firstJoin = await keyring(5n, 0, three, 1n);
  const secondJoin = await keyring(5n, 0, three, 2n);
  // Both start at CTR 0: with one KID the second would be refused as a replay (and reuse nonces).
  assert.equal(new TextDecoder().decode(b.open(firstJoin.seal(frame('first'))).plaintext), 'first');
  assert.equal(new TextDecoder().decode(b.open(secondJoin.seal(frame('second'))).plaintext), 'second');
});

test('a context out of range, and sealing before any epoch, are refused; close forgets every key', async () => {
  assert.throws(() => new GroupCallKeyring(1n << 24n), /below 2\^24/);
  assert.equal(refused(() => new GroupCallKeyring(0n).seal(frame('x'))), 'BAD_INPUT');
  const [a, b] = [await keyring(5n, 0, three), await keyring(5n, 1, three)];
  b.open(a.seal(frame('x')));
  b.close();
  assert.equal(refused(() => b.open(a.seal(frame('y')))), 'UNKNOWN_KID');
});

test('a frame under the next epoch is told apart (held until this device gets there), then opens', async () => {
  const [a, b] = [await keyring(5n, 0, three), await keyring(5n, 1, three)];
  await a.enterEpoch(epochAt(6n, 0, three));
  const ahead = a.seal(frame('epoch 6'));
  assert.equal(refused(() => b.open(ahead)), 'UNKNOWN_KID');
  assert.equal(b.isAhead(ahead), true);
  assert.equal(b.isAhead(b.seal(frame('mine'))), false);
  assert.equal(b.isAhead(new Uint8Array([0xff])), false);
  await b.enterEpoch(epochAt(6n, 1, three));
  assert.equal(new TextDecoder().decode(b.open(ahead).plaintext), 'epoch 6');
});

test('a keyring in another realm (the browser\'s media worker) seals and opens with the epoch keys handed to it', async () => {
  const main = await keyring(5n, 1, three);
  const worker = new GroupCallKeyring(3n);
  let changes = 0;
  const stop = main.onEpochChange(() => changes++);
  for (const keys of main.epochKeys().reverse()) worker.enterEpochKeys(keys);
  const alice5 = await keyring(5n, 0, three);
  assert.deepEqual(worker.open(alice5.seal(frame('to the worker'))).from, alice);
  assert.deepEqual(alice5.open(worker.seal(frame('from the worker'))).from, bob);
  await main.enterEpoch(epochAt(6n, 1, three));
  assert.equal(changes, 1);
  worker.enterEpochKeys(main.epochKeys()[0]!);
  assert.equal(worker.epoch, 6n);
  stop();
});

test('a member added during a call opens nothing sent before the epoch that added them', async () => {
  const a = await keyring(5n, 0, three);
  const before = a.seal(frame('said before dan came'));
  const four = [...three, { user: 'dan', device: 'd1' }];
  await a.enterEpoch(epochAt(6n, 0, four));
  const after = a.seal(frame('said after'));
  // Dan's device knows epoch 6 only: the Welcome gave it no earlier exporter.
  const dan = await keyring(6n, 3, four);
  assert.equal(refused(() => dan.open(before)), 'UNKNOWN_KID');
  assert.equal(new TextDecoder().decode(dan.open(after).plaintext), 'said after');
});

test('a member removed by a commit can neither start anew under the old epoch nor go on under it past the grace', async () => {
  let now = 1_000;
  const b = new GroupCallKeyring(1n, () => now);
  await b.enterEpoch(epochAt(5n, 1, three));
  const carol = await keyring(5n, 2, three, 4n);
  b.open(carol.seal(frame('carol, before the commit')));
  await b.enterEpoch(epochAt(6n, 1, [alice, bob]));
  // Within the grace her key in use still opens (frames in flight); a new context of hers does not.
  now += 1_000;
  assert.equal(new TextDecoder().decode(b.open(carol.seal(frame('in flight'))).plaintext), 'in flight');
  const carolAgain = await keyring(5n, 2, three, 5n);
  assert.equal(refused(() => b.open(carolAgain.seal(frame('a fresh start')))), 'UNKNOWN_KID');
  // Past the grace, nothing of the old epoch opens, however long nobody commits again.
  now += RETIRED_EPOCH_GRACE_MS;
  assert.equal(refused(() => b.open(carol.seal(frame('still talking')))), 'UNKNOWN_KID');
});

/** A VP8 frame as the encoder gives it: the frame tag (bit 0 clear on a key frame), a key frame's start code and size, then the picture. */
function vp8Frame(key: boolean, picture: string): Uint8Array {
  const head = key ? [0x50, 0x2e, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01] : [0x31, 0x12, 0x00];
  return new Uint8Array([...head, ...frame(picture)]);
}

test('a video frame keeps its VP8 header in clear (10 bytes on a key frame, 3 on another) and seals the picture; the clear bytes are authenticated', async () => {
  const [a, b] = [await keyring(5n, 0, three), await keyring(5n, 1, three)];
  for (const key of [true, false]) {
    const plain = vp8Frame(key, 'the picture itself');
    const clear = key ? 10 : 3;
    const sealed = a.seal(plain, 'video');
    assert.deepEqual(sealed.subarray(0, clear), plain.subarray(0, clear), 'the packetiser and the SFU read these');
    assert.ok(!Buffer.from(sealed).includes(Buffer.from('picture')), 'the picture is visible at the SFU');
    assert.deepEqual(b.open(sealed, 'video').plaintext, plain);
    // A changed clear byte (say, a forged frame size) and the frame does not open.
    const forged = a.seal(plain, 'video');
    forged[clear - 1]! ^= 0x01;
    assert.equal(refused(() => b.open(forged, 'video')), 'AUTH_FAILED');
    // The key-frame bit flipped: the receiver reads a different split, which does not authenticate either.
    const flipped = a.seal(plain, 'video');
    flipped[0]! ^= 0x01;
    assert.notEqual(refused(() => b.open(flipped, 'video')), undefined);
  }
  // Opened as the wrong kind, a video frame is refused (its clear bytes read as an SFrame header), never handed on garbled.
  assert.ok(['UNKNOWN_KID', 'BAD_HEADER', 'AUTH_FAILED'].includes(refused(() => b.open(a.seal(vp8Frame(false, 'x'), 'video'), 'audio'))));
  // A "video frame" no longer than its clear bytes is no VP8 frame: nothing to seal, nothing sent in clear.
  assert.equal(refused(() => a.seal(new Uint8Array([0x50, 0x2e, 0x01]), 'video')), 'BAD_INPUT');
  assert.notEqual(refused(() => b.open(new Uint8Array([0x31, 0x12, 0x00]), 'video')), undefined);
  // Audio is sealed whole, as before.
  assert.ok(!Buffer.from(a.seal(frame('opus'), 'audio')).includes(Buffer.from('opus')));
});

test('video frames of the next epoch are recognised past their clear bytes, to be held', async () => {
  const [a, b] = [await keyring(5n, 0, three), await keyring(5n, 1, three)];
  await a.enterEpoch(epochAt(6n, 0, three));
  const ahead = a.seal(vp8Frame(true, 'key frame under epoch 6'), 'video');
  assert.equal(b.isAhead(ahead, 'video'), true);
  await b.enterEpoch(epochAt(6n, 1, three));
  assert.equal(new TextDecoder().decode(b.open(ahead, 'video').plaintext.subarray(10)), 'key frame under epoch 6');
});
