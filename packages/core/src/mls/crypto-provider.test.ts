import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCryptoProvider, getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl } from 'ts-mls';
import { sottoCryptoProvider } from './crypto-provider.js';
import { MlsContext } from './group.js';
import { DEFAULT_CIPHERSUITE, loadCiphersuite } from './suite.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Alice runs `aliceImpl`, Bob `bobImpl`; they form a group and talk both ways. */
async function converse(aliceImpl: CiphersuiteImpl, bobImpl: CiphersuiteImpl): Promise<void> {
  const alice = new MlsContext(aliceImpl, async () => true);
  const bob = new MlsContext(bobImpl, async () => true);
  const aliceKey = await aliceImpl.signature.keygen();
  const bobKey = await bobImpl.signature.keygen();
  const bobPackage = await bob.generateKeyPackage({ username: 'bob', deviceId: 'b1' }, bobKey);
  const created = await alice.createGroup(crypto.getRandomValues(new Uint8Array(32)), { username: 'alice', deviceId: 'a1' }, aliceKey, [bobPackage.publicPackage]);
  let aliceState = created.state;
  let bobState = (await bob.join(created.welcome!, async () => bobPackage)).state;

  for (let i = 0; i < 3; i++) {
    const fromAlice = await alice.encrypt(aliceState, utf8(`to bob ${i}`));
    aliceState = fromAlice.state;
    const atBob = await bob.process(bobState, fromAlice.message);
    assert.equal(atBob.kind, 'application');
    if (atBob.kind !== 'application') return;
    bobState = atBob.state;
    assert.equal(text(atBob.plaintext), `to bob ${i}`);
    assert.equal(atBob.sender.username, 'alice');

    const fromBob = await bob.encrypt(bobState, utf8(`to alice ${i}`));
    bobState = fromBob.state;
    const atAlice = await alice.process(aliceState, fromBob.message);
    assert.equal(atAlice.kind, 'application');
    if (atAlice.kind !== 'application') return;
    aliceState = atAlice.state;
    assert.equal(text(atAlice.plaintext), `to alice ${i}`);
  }

  // A commit (new epoch, HPKE path secrets, confirmation tags) crosses too.
  const committed = await alice.commit(aliceState, {});
  aliceState = committed.state;
  const atBob = await bob.process(bobState, committed.commit);
  assert.equal(atBob.kind, 'handshake');
  bobState = atBob.state;
  const after = await bob.encrypt(bobState, utf8('new epoch'));
  const atAlice = await alice.process(aliceState, after.message);
  assert.equal(atAlice.kind === 'application' && text(atAlice.plaintext), 'new epoch');
}

test('the Sotto provider interoperates with ts-mls\'s default provider, in both directions', async () => {
  const suite = getCiphersuiteFromName(DEFAULT_CIPHERSUITE);
  const fast = await getCiphersuiteImpl(suite, sottoCryptoProvider);
  const plain = await getCiphersuiteImpl(suite, defaultCryptoProvider);
  await converse(fast, plain);
  await converse(plain, fast);
});

test('loadCiphersuite hands out the Sotto provider\'s implementation', async () => {
  const impl = await loadCiphersuite();
  assert.equal(impl.name, DEFAULT_CIPHERSUITE);
  assert.equal(typeof (impl.signature as { cachedKeys?: unknown }).cachedKeys, 'function');
});
