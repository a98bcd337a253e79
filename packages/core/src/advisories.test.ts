import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { AdvisorySchema, advisoryTranscript, create, SignedAdvisorySchema, toBinary } from '@sotto/protocol';
import { Advisories, type RefusedAdvisory, type VerifiedAdvisory } from './advisories.js';
import { MemoryClientStore } from './memory-store.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const verify = async (key: Uint8Array, data: Uint8Array, signature: Uint8Array) => ed25519.verify(signature, data, key);

function operator() {
  const secretKey = ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

let counter = 0;
function signed(secretKey: Uint8Array, fixedVersion = '0.2.0', title = 'Update now') {
  counter += 1;
  const advisory = toBinary(AdvisorySchema, create(AdvisorySchema, {
    id: new Uint8Array(16).fill(counter), publishedAt: BigInt(counter), title, text: 'Fixed in 0.2.0.', fixedVersion,
  }));
  return create(SignedAdvisorySchema, { advisory, signature: ed25519.sign(advisoryTranscript(advisory), secretKey) });
}

function setup(version = '0.1.0') {
  const store = new MemoryClientStore();
  const advisories = new Advisories({ store, logger: silent }, version, verify);
  const seen: VerifiedAdvisory[] = [];
  const refused: RefusedAdvisory[] = [];
  advisories.didReceive.event((a) => seen.push(a));
  advisories.didRefuse.event((r) => refused.push(r));
  return { store, advisories, seen, refused };
}

test('the first key is pinned; advisories signed with it are shown once, with whether this version is affected', async () => {
  const op = operator();
  const { store, advisories, seen, refused } = setup('0.1.0');
  const fixedLater = signed(op.secretKey, '0.2.0');
  const fixedEarlier = signed(op.secretKey, '0.0.9');
  const everyone = signed(op.secretKey, '');
  await advisories.receiveBoard(op.publicKey, [fixedLater, fixedEarlier, everyone]);
  await advisories.receiveBoard(op.publicKey, [fixedLater]);
  assert.equal((await store.getSettings()).advisoryKey?.length, 64);
  assert.deepEqual(seen.map((a) => a.affectsThisVersion), [true, false, true]);
  assert.equal(advisories.list().length, 3);
  assert.deepEqual(refused, []);
});

test('a tampered advisory, a wrong signer and a changed server key are refused, never shown', async () => {
  const op = operator();
  const { advisories, seen, refused } = setup();
  await advisories.receiveBoard(op.publicKey, []);
  const good = signed(op.secretKey);
  const tampered = create(SignedAdvisorySchema, { advisory: good.advisory.map((b, i) => (i === good.advisory.length - 1 ? b ^ 1 : b)), signature: good.signature });
  await advisories.receiveBoard(op.publicKey, [tampered]);
  await advisories.receiveBoard(op.publicKey, [signed(operator().secretKey)]);
  const other = operator();
  await advisories.receiveBoard(other.publicKey, [signed(other.secretKey)]);
  await advisories.receiveBoard(op.publicKey, [create(SignedAdvisorySchema, { advisory: Uint8Array.of(1, 2, 3), signature: new Uint8Array(64) })]);
  assert.equal(seen.length, 0);
  assert.deepEqual(refused.map((r) => r.reason), ['BAD_SIGNATURE', 'BAD_SIGNATURE', 'KEY_CHANGED', 'MALFORMED']);
  await advisories.receiveBoard(op.publicKey, [good]);
  assert.deepEqual(seen.map((a) => a.title), ['Update now']);
});

test('an empty key (no operator key on the server) shows nothing and pins nothing', async () => {
  const { store, advisories, seen } = setup();
  await advisories.receiveBoard(new Uint8Array(0), [signed(operator().secretKey)]);
  assert.equal(seen.length, 0);
  assert.equal((await store.getSettings()).advisoryKey, undefined);
});
