// Per-send cost of the engine with and without the decoded MLS state kept between messages
// (issue 16): `node bench/send-state.mjs [--messages N]`. Alice and bob are real SottoClients on
// memory stores against an in-process server (SQLite); alice sends N texts to their 1:1, each
// awaited (the latency a member sees), then N pipelined (throughput). Each is run with the cache
// and with it bypassed (every send decodes the stored state, as before the cache), alternately.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContactState } from '@sotto/protocol';
import { MemoryClientStore, MlsContext, SottoClient } from '@sotto/core';
import { loadNodeCiphersuite, nodeClientDeps } from '@sotto/client-node';
import { startServer } from '@sotto/server';
// The same module instance the engine uses (a file import of the file its index loads).
import { DecodedStates } from '../packages/core/dist/mls/state-cache.js';

const count = Number(process.argv[process.argv.indexOf('--messages') + 1] || 1000) || 1000;
const dir = mkdtempSync(join(tmpdir(), 'sotto-send-state-'));
const server = await startServer({ dataDir: join(dir, 'server'), port: 0, logLevel: 'silent' });
const deps = (name) => ({ ...nodeClientDeps({ profileDir: join(dir, name), logLevel: 'silent', reconnect: false }), store: new MemoryClientStore() });
const alice = await SottoClient.register(deps('alice'), server.url, 'alice');
const bob = await SottoClient.register(deps('bob'), server.url, 'bob');
await alice.connect();
await bob.connect();
await alice.requestContact('bob', 'bench');
while (!(await bob.refreshContacts()).some((c) => c.username === 'alice')) await new Promise((r) => setTimeout(r, 20));
await bob.respondToContact('alice', 'accept');
while (!(await alice.refreshContacts()).some((c) => c.username === 'bob' && c.state === ContactState.ACCEPTED)) await new Promise((r) => setTimeout(r, 20));
const direct = await alice.openDirect('bob');
const stateBytes = (await alice.listConversations()).find((c) => c.groupId === direct).state.byteLength;

const cachedGet = DecodedStates.prototype.get;
function bypass(on) {
  DecodedStates.prototype.get = on ? function (_groupId, encoded) { return this.decode(encoded); } : cachedGet;
}

async function awaitedSends(n) {
  const start = performance.now();
  for (let i = 0; i < n; i++) await alice.sendText(direct, `awaited ${i}`);
  return (performance.now() - start) / n;
}

async function pipelinedSends(n) {
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => alice.sendText(direct, `pipelined ${i}`)));
  return (performance.now() - start) / n;
}

await awaitedSends(100); // warm-up
const results = { cached: { awaited: [], pipelined: [] }, decoded: { awaited: [], pipelined: [] } };
for (let round = 0; round < 3; round++) {
  for (const mode of ['decoded', 'cached']) {
    bypass(mode === 'decoded');
    results[mode].awaited.push(await awaitedSends(count));
    results[mode].pipelined.push(await pipelinedSends(count));
  }
}
bypass(false);

// The decode alone, on this conversation's stored state, with the suite the engine uses.
const stored = (await alice.listConversations()).find((c) => c.groupId === direct).state;
const mls = new MlsContext(await loadNodeCiphersuite(), async () => true);
for (let i = 0; i < 200; i++) mls.decodeState(stored);
const decodeStart = performance.now();
for (let i = 0; i < count; i++) mls.decodeState(stored);
const decodeMs = (performance.now() - decodeStart) / count;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${count} sends per run, 3 runs each, medians; 1:1 state ${stateBytes} bytes; decoding it once: ${decodeMs.toFixed(3)} ms`);
for (const mode of ['decoded', 'cached']) {
  console.log(`${mode === 'decoded' ? 'decode every send (before)' : 'state kept (after)        '}: awaited ${median(results[mode].awaited).toFixed(3)} ms/send, pipelined ${median(results[mode].pipelined).toFixed(3)} ms/send`);
}
await alice.close();
await bob.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
