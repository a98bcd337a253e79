/**
 * Scenario: what `npm install && npm start` promises on a fresh machine. After an install there is
 * a `sotto` command (npm links workspace bins before `prepare` builds dist/, so the bin must be a
 * file in the repository); and `npm start` is a server that stops when npm is told to stop (a
 * SIGTERM to npm must not leave the server running as an orphan holding the port). And the Node.js
 * version the README promises is one every installed package says it runs on.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import semver from 'semver';
import { REPO_ROOT, scratchDir } from '../support/paths.js';
import { freePort } from '../support/server-process.js';

test("the cli package's bin is a file in the repository, and runs the built CLI", () => {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as { bin: Record<string, string> };
  const bin = join(REPO_ROOT, 'packages/cli', manifest.bin['sotto']!);
  assert.ok(!manifest.bin['sotto']!.startsWith('dist/'), 'a bin inside dist/ does not exist when npm links it');
  const tracked = spawnSync('git', ['ls-files', '--error-unmatch', bin], { cwd: REPO_ROOT });
  assert.equal(tracked.status, 0, `${manifest.bin['sotto']} is committed`);
  const run = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout.trim(), /^\d+\.\d+\.\d+$/);
  // After `npm install`/`npm ci` in this tree, npm linked it as node_modules/.bin/sotto.
  const linked = join(REPO_ROOT, 'node_modules/.bin/sotto');
  if (existsSync(linked)) assert.equal(realpathSync(linked), realpathSync(bin));
  else assert.ok(!process.env['CI'], 'npm ci made no node_modules/.bin/sotto');
});

test('a SIGTERM to `npm start` stops the server: nothing is left listening on its port', async () => {
  const dir = scratchDir('npm-start');
  const port = await freePort();
  const npm = spawn('npm', ['start', '--silent', '--', '--port', String(port), '--data', join(dir.path, 'data')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      npm.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('listening')) resolve();
      });
      npm.once('exit', (code) => reject(new Error(`npm start exited (${code}) before listening: ${out}`)));
    });
    assert.equal(await accepts(port), true, 'the server listens');
    npm.kill('SIGTERM');
    await new Promise((resolve) => npm.once('exit', resolve));
    const deadline = Date.now() + 10_000;
    while ((await accepts(port)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await accepts(port), false, 'no orphaned server is left on the port');
  } finally {
    npm.kill('SIGKILL');
    dir.remove();
  }
});

test('every package `npm ci` installs declares engines that admit the Node.js version the README promises', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const promise = /Requirements: Node\.js (\d+(?:\.\d+){0,2}) or newer/.exec(readme);
  assert.ok(promise, 'the README states its Node.js requirement as "Node.js X or newer"');
  const promised = semver.coerce(promise[1])!.version;
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  assert.equal(semver.minVersion(root.engines.node)?.version, promised, 'package.json engines.node starts where the README does');
  // Every entry of the lockfile, dev ones included: `npm install` builds (buf, protoc-gen-es, tsc,
  // vite) and `npm test` lints and tests, so each of them runs on the promised Node. An installed
  // package's own manifest is what npm checks; a platform package not installed here, its lock entry.
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; link?: boolean; engines?: { node?: string } | string[] }>;
  };
  const refused: string[] = [];
  let checked = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (entry.link) continue;
    const manifestPath = join(REPO_ROOT, path, 'package.json');
    const manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof entry) : entry;
    const range = Array.isArray(manifest.engines) ? undefined : manifest.engines?.node;
    if (range === undefined) continue;
    checked += 1;
    if (semver.validRange(range) === null || !semver.satisfies(promised, range)) refused.push(`${path || 'package.json'}@${manifest.version ?? ''} wants node ${range}`);
  }
  assert.ok(checked > 50, `engines were read (${checked})`);
  assert.deepEqual(refused, [], `Node.js ${promised} (the README's promise) is refused by`);
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
