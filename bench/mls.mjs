// Client MLS throughput: application messages of 200 bytes encrypted and
// decrypted per second on one core, with the default X-Wing hybrid suite,
// through the engine's own MlsContext with the suite exactly as the CLI
// loads it (client-node's: node:crypto Ed25519).
import { MlsContext } from '@sotto/core';
import { loadNodeCiphersuite } from '@sotto/client-node';
import { median } from './lib.mjs';

/**
 * Each run encrypts for `seconds` (so a run lasts long enough for the JIT and GC to settle at any
 * speed; fixed counts of a few hundred gave spreads of 2x), then decrypts what it encrypted.
 */
export async function benchMls({ seconds = 2, runs = 5 } = {}) {
  const impl = await loadNodeCiphersuite();
  const mls = new MlsContext(impl, async () => true);
  const keyA = await impl.signature.keygen();
  const keyB = await impl.signature.keygen();
  const alice = { username: 'alice', deviceId: 'a1' };
  const bob = { username: 'bob', deviceId: 'b1' };
  const bobPackage = await mls.generateKeyPackage(bob, keyB);
  const created = await mls.createGroup(crypto.getRandomValues(new Uint8Array(32)), alice, keyA, [bobPackage.publicPackage]);
  let aliceState = created.state;
  let bobState = (await mls.join(created.welcome, async () => ({ publicPackage: bobPackage.publicPackage, privatePackage: bobPackage.privatePackage }))).state;
  const payload = new Uint8Array(200).fill(7);
  const encryptRates = [];
  const decryptRates = [];
  for (let run = 0; run < runs + 1; run++) {
    const ciphertexts = [];
    let start = performance.now();
    const until = start + seconds * 1000;
    while (performance.now() < until) {
      for (let i = 0; i < 50; i++) {
        const out = await mls.encrypt(aliceState, payload);
        aliceState = out.state;
        ciphertexts.push(out.message);
      }
    }
    const encryptMs = performance.now() - start;
    const messages = ciphertexts.length;
    start = performance.now();
    for (const message of ciphertexts) {
      const out = await mls.process(bobState, message);
      bobState = out.state;
    }
    const decryptMs = performance.now() - start;
    if (run === 0) continue; // warm-up
    encryptRates.push((messages / encryptMs) * 1000);
    decryptRates.push((messages / decryptMs) * 1000);
  }
  return {
    suite: impl.name,
    seconds,
    runs,
    encryptPerSecond: median(encryptRates),
    decryptPerSecond: median(decryptRates),
    encryptSpread: [Math.min(...encryptRates), Math.max(...encryptRates)],
    decryptSpread: [Math.min(...decryptRates), Math.max(...decryptRates)],
  };
}
