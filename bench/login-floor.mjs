#!/usr/bin/env node
// How fast can Node log devices in at all, on this machine, with Sotto's handshake? The connect
// storm of bench/peers.mjs against bench/floor/login-server.mjs (a bare `ws` server doing only
// the upgrade, the challenge, the Ed25519 check and the answer) and, in the same run, against
// Sotto. The ratio says how much of a Sotto login is Sotto's own. Figures, not pass/fail.
//
//   node bench/login-floor.mjs [--quick]
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEERS } from './peers/adapters.mjs';
import { canConnect, canPin, freePort, LOOPBACK, startServerProcess } from './peers/common.mjs';
import { SottoClient } from './peers/sotto-client.mjs';
import { connectStorm, OPTIONS } from './peers/workloads.mjs';

const FLOOR_SERVER = new URL('./floor/login-server.mjs', import.meta.url).pathname;

/** The floor server with `users` devices whose keys it holds in memory. */
async function startFloor({ users, cpu }) {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-login-floor-'));
  const port = await freePort();
  const accounts = new Map();
  const keys = {};
  for (let i = 0; i < users; i++) {
    const key = generateKeyPairSync('ed25519');
    const username = `bench_u${i}`;
    accounts.set(`u${i}`, { username, key, deviceId: 'd1' });
    keys[username] = { deviceId: 'd1', x: key.publicKey.export({ format: 'jwk' }).x };
  }
  writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys));
  const { pid, stop } = await startServerProcess({
    name: 'login floor', cpu, command: process.execPath, dir, logFile: join(dir, 'none.log'),
    args: [FLOOR_SERVER, String(port), join(dir, 'keys.json')],
    isReady: () => canConnect(port),
  });
  return { pid, dir, wsUrl: `ws://${LOOPBACK}:${port}/v1/ws`, password: '', accounts, stop };
}

const floorPeer = { start: startFloor, client: (server) => new SottoClient(server) };
const options = OPTIONS[process.argv.includes('--quick') ? 'quick' : 'full'].connectStorm;
const cpu = canPin() ? 0 : undefined;
const floor = await connectStorm(floorPeer, options, { cpu });
const sotto = await connectStorm(PEERS.sotto, options, { cpu });
const summary = (r) => ({ perSecond: r.connectsPerSecond, serverCpu: r.serverCpu, generatorCpu: r.generatorCpu, generatorBound: r.generatorBound });
const result = { connections: options.connections, concurrency: options.concurrency, floor: summary(floor), sotto: summary(sotto), ratio: sotto.connectsPerSecond.median / floor.connectsPerSecond.median };
console.log(JSON.stringify(result, null, 2));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/login-floor.json', import.meta.url), `${JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2)}\n`);
