// Client MLS throughput: application messages of 200 bytes encrypted and
// decrypted per second on one core (`node bench/mls.mjs [--quick]`, pinned by npm run bench), with the default X-Wing hybrid suite,
// through the engine's own MlsContext with the suite exactly as the CLI
// loads it (client-node's: node:crypto Ed25519).
import { MlsContext } from '@sotto/core';
import { loadNodeCiphersuite } from '@sotto/client-node';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fmt, machine, median, writeSection } from './lib.mjs';

/** Messages encrypted, then decrypted, per round of a run. */
const ROUND = 100;

/**
 * Each run lasts `seconds` of encrypting (long enough for the JIT and GC to settle at any speed;
 * fixed counts of a few hundred gave spreads of 2x), in rounds: ROUND messages encrypted (timed),
 * then decrypted (timed) and let go. A run that first encrypted everything and kept it measured
 * the garbage collector tracing the kept ciphertexts: encrypting alone went from ~8,000/s to
 * ~5,800/s when the ciphertexts were kept.
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
    let encryptMs = 0;
    let decryptMs = 0;
    let messages = 0;
    while (encryptMs < seconds * 1000) {
      const ciphertexts = [];
      let start = performance.now();
      for (let i = 0; i < ROUND; i++) {
        const out = await mls.encrypt(aliceState, payload);
        aliceState = out.state;
        ciphertexts.push(out.message);
      }
      encryptMs += performance.now() - start;
      start = performance.now();
      for (const message of ciphertexts) {
        const out = await mls.process(bobState, message);
        bobState = out.state;
      }
      decryptMs += performance.now() - start;
      messages += ROUND;
    }
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

/** The `mls` section of docs/BENCHMARKS.md. */
function mlsSection(mls) {
  return `<!-- mls:start -->
## Client MLS throughput (\`bench/mls.mjs\`)

Method: one process, pinned to one core; the engine's own \`MlsContext\` with the suite the CLI loads
(\`loadNodeCiphersuite\`: node:crypto Ed25519 with cached keys, HKDF on OpenSSL's HMAC), suite
\`${mls.suite}\`; in each run one member encrypts application messages of 200 bytes, ${ROUND} at
a time, and the other decrypts each ${ROUND} in order, until ${mls.seconds} s were spent encrypting;
${mls.runs} runs after one warm-up run; median and range.

| operation | messages/s (median) | range | target |
|---|---|---|---|
| encrypt (create + encode) | ${fmt(mls.encryptPerSecond)} | ${fmt(mls.encryptSpread[0])}–${fmt(mls.encryptSpread[1])} | >= 5,000 |
| decrypt (decode + process) | ${fmt(mls.decryptPerSecond)} | ${fmt(mls.decryptSpread[0])}–${fmt(mls.decryptSpread[1])} | |

${readFileSync(new URL('./analysis-mls.md', import.meta.url), 'utf8').trim()}
<!-- mls:end -->`;
}

// Run as a script (npm run bench runs it pinned to core 1): `node bench/mls.mjs [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const mls = await benchMls({ seconds: quick ? 1 : 2, runs: quick ? 3 : 5 });
  console.log('mls', mls);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/mls.json', import.meta.url), `${JSON.stringify({ machine: machine(), measuredAt: new Date().toISOString(), ...mls }, null, 2)}\n`);
  writeSection('mls', mlsSection(mls));
}
