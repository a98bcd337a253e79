import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_REPLAY_WINDOW, SFrameContext } from './sframe.js';
import { frameNonce, sealFrame } from './frame.js';
import { deriveKeySalt } from './key-schedule.js';
import { decodeHeader, encodeHeader } from './header.js';
import { ALL_CIPHER_SUITES, cipherSuite } from './suites.js';
import { SFrameError, type SFrameErrorReason } from './sframe-error.js';
import { RFC9605_C3_SFRAME, type SFrameVector } from './rfc9605-vectors.js';
import { concatBytes, fromHex, toHex, utf8 } from '../bytes.js';

function sframeError(run: () => unknown): SFrameError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SFrameError, `expected an SFrameError, got ${String(error)}`);
    assert.equal(error.code, 'CRYPTO');
    return error;
  }
  assert.fail('expected the call to throw');
}

function assertSFrameError(run: () => unknown, reason: SFrameErrorReason, message: RegExp): void {
  const error = sframeError(run);
  assert.equal(error.reason, reason, error.message);
  assert.match(error.message, message);
}

function receiverFor(v: SFrameVector): SFrameContext {
  const context = new SFrameContext(v.cipherSuite);
  context.addReceiveKey(v.kid, fromHex(v.baseKey));
  return context;
}

const baseKey = fromHex('000102030405060708090a0b0c0d0e0f');
const otherBaseKey = fromHex('0f0e0d0c0b0a09080706050403020100');

test('RFC 9605 C.3: every suite seals the vector frame byte for byte (nonce, AAD and ciphertext)', () => {
  assert.equal(RFC9605_C3_SFRAME.length, 5);
  for (const v of RFC9605_C3_SFRAME) {
    const suite = cipherSuite(v.cipherSuite);
    const keys = deriveKeySalt(suite, v.kid, fromHex(v.baseKey));
    assert.equal(toHex(frameNonce(keys.salt, v.ctr)), v.nonce, suite.name);
    assert.equal(toHex(concatBytes(encodeHeader({ kid: v.kid, ctr: v.ctr }), fromHex(v.metadata))), v.aad, suite.name);
    assert.equal(toHex(sealFrame(suite, keys, v.kid, v.ctr, fromHex(v.metadata), fromHex(v.pt))), v.ct, suite.name);
  }
});

test('RFC 9605 C.3: a context holding base_key for the KID decrypts every vector to its plaintext', () => {
  for (const v of RFC9605_C3_SFRAME) {
    const frame = receiverFor(v).decryptFrame(fromHex(v.ct), fromHex(v.metadata));
    assert.equal(toHex(frame.plaintext), v.pt);
    assert.equal(utf8.decode(frame.plaintext), 'draft-ietf-sframe-enc');
    assert.equal(frame.kid, v.kid);
    assert.equal(frame.ctr, v.ctr);
  }
});

test('RFC 9605 C.3: any flipped bit anywhere in the frame is refused, by header, KID or tag', () => {
  for (const v of RFC9605_C3_SFRAME) {
    const receiver = receiverFor(v);
    const ct = fromHex(v.ct);
    const metadata = fromHex(v.metadata);
    const headerLength = decodeHeader(ct).length;
    for (let bit = 0; bit < ct.byteLength * 8; bit++) {
      const altered = ct.slice();
      altered[bit >> 3]! ^= 1 << (bit & 7);
      const error = sframeError(() => receiver.decrypt(altered, metadata));
      if (bit < headerLength * 8) {
        assert.ok(['BAD_HEADER', 'UNKNOWN_KID', 'AUTH_FAILED', 'TRUNCATED'].includes(error.reason), `header bit ${bit}: ${error.reason}`);
      } else {
        assert.equal(error.reason, 'AUTH_FAILED', `${cipherSuite(v.cipherSuite).name}, bit ${bit}`);
      }
    }
    // None of the refusals touched the replay window: the genuine frame still decrypts.
    assert.equal(toHex(receiver.decrypt(ct, metadata)), v.pt);
  }
});

test('RFC 9605 C.3: every truncation is refused with its reason', () => {
  for (const v of RFC9605_C3_SFRAME) {
    const suite = cipherSuite(v.cipherSuite);
    const receiver = receiverFor(v);
    const ct = fromHex(v.ct);
    const metadata = fromHex(v.metadata);
    const headerLength = decodeHeader(ct).length;
    for (let length = 0; length < ct.byteLength; length++) {
      const cut = ct.subarray(0, length);
      if (length < headerLength) assertSFrameError(() => receiver.decrypt(cut, metadata), 'BAD_HEADER', /header is (empty|truncated)/);
      else if (length < headerLength + suite.tagBytes) assertSFrameError(() => receiver.decrypt(cut, metadata), 'TRUNCATED', /shorter than its \d+-byte tag/);
      else assertSFrameError(() => receiver.decrypt(cut, metadata), 'AUTH_FAILED', /does not authenticate/);
    }
  }
});

test('RFC 9605 C.3: other metadata, no metadata, or another base key do not authenticate', () => {
  for (const v of RFC9605_C3_SFRAME) {
    const ct = fromHex(v.ct);
    const receiver = receiverFor(v);
    assertSFrameError(() => receiver.decrypt(ct, utf8.encode('IETF SFrame WH')), 'AUTH_FAILED', /wrong key or metadata/);
    assertSFrameError(() => receiver.decrypt(ct), 'AUTH_FAILED', /wrong key or metadata/);
    const wrongKey = new SFrameContext(v.cipherSuite);
    wrongKey.addReceiveKey(v.kid, otherBaseKey);
    assertSFrameError(() => wrongKey.decrypt(ct, fromHex(v.metadata)), 'AUTH_FAILED', /does not authenticate/);
    const otherSuite = new SFrameContext(v.cipherSuite === 4 ? 5 : 4);
    otherSuite.addReceiveKey(v.kid, fromHex(v.baseKey));
    assertSFrameError(() => otherSuite.decrypt(ct, fromHex(v.metadata)), 'AUTH_FAILED', /does not authenticate/);
  }
});

test('a sender counts CTR up from 0 under its KID, and a receiver decrypts in any order within the window', () => {
  for (const suite of ALL_CIPHER_SUITES) {
    const sender = new SFrameContext(suite);
    const receiver = new SFrameContext(suite.id);
    sender.addSendKey(0x3en, baseKey);
    receiver.addReceiveKey(0x3en, baseKey);
    const frames = [0, 1, 2, 3].map((i) => sender.encrypt(0x3en, utf8.encode(`frame ${i}`), utf8.encode('meta')));
    assert.deepEqual(frames.map((f) => decodeHeader(f)), [0n, 1n, 2n, 3n].map((ctr) => ({ kid: 0x3en, ctr, length: 2 })));
    for (const i of [2, 0, 3, 1]) assert.equal(utf8.decode(receiver.decrypt(frames[i]!, utf8.encode('meta'))), `frame ${i}`);
    assert.equal(frames[0]!.byteLength, 2 + 'frame 0'.length + suite.tagBytes);
    const sealed = sealFrame(suite, deriveKeySalt(suite, 0x3en, baseKey), 0x3en, 0n, utf8.encode('meta'), utf8.encode('frame 0'));
    assert.equal(toHex(frames[0]!), toHex(sealed), 'the context seals exactly as the vector-checked sealFrame');
  }
});

test('any plaintext and metadata survive encrypt then decrypt, for every suite', () => {
  for (const suite of ALL_CIPHER_SUITES) {
    const sender = new SFrameContext(suite);
    const receiver = new SFrameContext(suite);
    const kid = 0x1234_5678n;
    sender.addSendKey(kid, baseKey);
    receiver.addReceiveKey(kid, baseKey);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.uint8Array({ maxLength: 40 }), (plaintext, metadata) => {
        const frame = sender.encrypt(kid, plaintext, metadata);
        assert.deepEqual(receiver.decrypt(frame, metadata), plaintext);
      }),
      { numRuns: 60 },
    );
  }
});

test('a replayed frame is refused, and so is one older than the replay window', () => {
  const sender = new SFrameContext(4);
  const receiver = new SFrameContext(4, { replayWindow: 8 });
  sender.addSendKey(7n, baseKey);
  receiver.addReceiveKey(7n, baseKey);
  const frames = Array.from({ length: 12 }, (_, i) => sender.encrypt(7n, Uint8Array.of(i)));
  receiver.decrypt(frames[0]!);
  assertSFrameError(() => receiver.decrypt(frames[0]!), 'REPLAY', /CTR 0 of KID 0x7 was already received/);
  receiver.decrypt(frames[11]!);
  assertSFrameError(() => receiver.decrypt(frames[3]!), 'REPLAY', /CTR 3 of KID 0x7 is older than the replay window/);
  assert.deepEqual(receiver.decrypt(frames[4]!), Uint8Array.of(4), '11 - 4 = 7: still inside a window of 8');
  assert.equal(DEFAULT_REPLAY_WINDOW, 1024);
});

test('a forged frame with a fresh CTR does not burn that CTR for the genuine frame', () => {
  const sender = new SFrameContext(1);
  const receiver = new SFrameContext(1);
  sender.addSendKey(9n, baseKey);
  receiver.addReceiveKey(9n, baseKey);
  const genuine = sender.encrypt(9n, utf8.encode('hello'));
  const forged = genuine.slice();
  forged[forged.byteLength - 1]! ^= 0x80;
  assertSFrameError(() => receiver.decrypt(forged), 'AUTH_FAILED', /does not authenticate/);
  assert.equal(utf8.decode(receiver.decrypt(genuine)), 'hello');
});

test('a send key refuses to go past the counter limit, and keeps refusing', () => {
  const sender = new SFrameContext(4, { counterLimit: 2n });
  sender.addSendKey(1n, baseKey);
  const ctrs = [0, 1, 2].map(() => decodeHeader(sender.encrypt(1n, new Uint8Array(1))).ctr);
  assert.deepEqual(ctrs, [0n, 1n, 2n]);
  assertSFrameError(() => sender.encrypt(1n, new Uint8Array(1)), 'COUNTER_EXHAUSTED', /KID 0x1 has used all its counters: add a new key/);
  assertSFrameError(() => sender.encrypt(1n, new Uint8Array(1)), 'COUNTER_EXHAUSTED', /used all its counters/);
  // Another key of the same context is unaffected.
  sender.addSendKey(2n, baseKey);
  assert.equal(decodeHeader(sender.encrypt(2n, new Uint8Array(1))).ctr, 0n);
});

test('keys: unknown KIDs, wrong use, duplicates and removal', () => {
  const context = new SFrameContext(4);
  const peer = new SFrameContext(4);
  context.addSendKey(1n, baseKey);
  context.addReceiveKey(2n, baseKey);
  peer.addSendKey(2n, baseKey);
  peer.addSendKey(3n, baseKey);
  const fromPeer = peer.encrypt(2n, utf8.encode('x'));
  assertSFrameError(() => context.decrypt(peer.encrypt(3n, utf8.encode('x'))), 'UNKNOWN_KID', /no receive key for KID 0x3/);
  assertSFrameError(() => context.encrypt(2n, utf8.encode('x')), 'BAD_INPUT', /no send key for KID 0x2/);
  assertSFrameError(() => context.encrypt(9n, utf8.encode('x')), 'BAD_INPUT', /no send key for KID 0x9/);
  // A frame under our own send KID (an echo) has no receive key: a KID is for one use only.
  assertSFrameError(() => context.decrypt(context.encrypt(1n, utf8.encode('x'))), 'UNKNOWN_KID', /no receive key for KID 0x1/);
  assertSFrameError(() => context.addSendKey(1n, otherBaseKey), 'BAD_INPUT', /KID 0x1 already has a key: remove it first/);
  assertSFrameError(() => context.addReceiveKey(1n, otherBaseKey), 'BAD_INPUT', /already has a key/);
  assert.ok(context.hasKey(2n));
  assert.equal(context.removeKey(2n), true);
  assert.equal(context.removeKey(2n), false);
  assert.equal(context.hasKey(2n), false);
  assertSFrameError(() => context.decrypt(fromPeer), 'UNKNOWN_KID', /no receive key for KID 0x2/);
});

test('a new epoch under the same KID: frames of the old key decrypt nothing with the new one', () => {
  const sender = new SFrameContext(4);
  const receiver = new SFrameContext(4);
  sender.addSendKey(0x3en, baseKey);
  receiver.addReceiveKey(0x3en, baseKey);
  const oldFrame = sender.encrypt(0x3en, utf8.encode('before'));
  // Epoch 30 reuses epoch 14's low 4 bits: the old key is removed and the new one takes its KID.
  receiver.removeKey(0x3en);
  receiver.addReceiveKey(0x3en, otherBaseKey);
  assertSFrameError(() => receiver.decrypt(oldFrame), 'AUTH_FAILED', /does not authenticate/);
  sender.removeKey(0x3en);
  sender.addSendKey(0x3en, otherBaseKey);
  assert.equal(utf8.decode(receiver.decrypt(sender.encrypt(0x3en, utf8.encode('after')))), 'after');
});

test('bad arguments are refused with clear errors', () => {
  assertSFrameError(() => new SFrameContext(9), 'BAD_INPUT', /cipher suite 9 is not one of RFC 9605/);
  assertSFrameError(() => new SFrameContext(4, { counterLimit: -1n }), 'BAD_INPUT', /counter limit/);
  assertSFrameError(() => new SFrameContext(4, { replayWindow: 0 }), 'BAD_INPUT', /replay window/);
  const context = new SFrameContext(4);
  assertSFrameError(() => context.addSendKey(-1n, baseKey), 'BAD_INPUT', /KID must be an integer/);
  assertSFrameError(() => context.addReceiveKey(1n, new Uint8Array(0)), 'BAD_INPUT', /base key must be non-empty/);
  context.addSendKey(1n, baseKey);
  assertSFrameError(() => context.encrypt(1n, 'text' as unknown as Uint8Array), 'BAD_INPUT', /plaintext must be bytes/);
  assertSFrameError(() => context.encrypt(1n, new Uint8Array(1), 'm' as unknown as Uint8Array), 'BAD_INPUT', /metadata must be bytes/);
  assertSFrameError(() => context.decrypt(null as unknown as Uint8Array), 'BAD_INPUT', /ciphertext must be bytes/);
  assertSFrameError(() => context.decrypt(new Uint8Array(0)), 'BAD_HEADER', /header is empty/);
});

test('random bytes never decrypt: each is refused with an SFrameError', () => {
  const receiver = new SFrameContext(3);
  for (let kid = 0n; kid < 8n; kid++) receiver.addReceiveKey(kid, baseKey);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      sframeError(() => receiver.decrypt(bytes));
    }),
    { numRuns: 1000 },
  );
});
