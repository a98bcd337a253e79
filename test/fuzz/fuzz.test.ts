/**
 * Fuzzing (fuzz/README.md) as part of `npm test`. The committed corpora, regression inputs
 * included, replay through every harness in plain Node; then every target fuzzes for 5 s from its
 * corpus and must find nothing. Fuzzing needs Debian's libFuzzer (libclang-rt-16-dev) to rebuild
 * Jazzer.js's addon: without it that test skips loudly, or fails under CI=true.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';

/** scripts/fuzz.mjs's exit code when the addon cannot be built here (see fuzz/native/build.mjs). */
const EXIT_TOOLCHAIN_MISSING = 3;
const SECONDS_PER_TARGET = 5;
/** Two at a time: this machine has two cores, and each target is one single-threaded process. */
const JOBS = 2;

function runNode(script: string, args: string[], timeoutMs: number) {
  return spawnSync(process.execPath, [join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs });
}

test('the committed fuzz corpora replay through their harnesses without a failure', () => {
  const r = runNode('fuzz/replay.mjs', [], 60_000);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});

test(`every fuzz target runs ${SECONDS_PER_TARGET} s without a finding`, { timeout: 240_000 }, (t) => {
  const r = runNode('scripts/fuzz.mjs', ['--seconds', String(SECONDS_PER_TARGET), '--jobs', String(JOBS), '--fresh'], 230_000);
  if (r.status === EXIT_TOOLCHAIN_MISSING) {
    const why = r.stderr.trim();
    if (process.env.CI === 'true') assert.fail(`CI=true but ${why}`);
    console.warn(`\n*** SKIPPING fuzzing: ${why} ***\n`);
    t.skip(why);
    return;
  }
  assert.equal(r.status, 0, `scripts/fuzz.mjs exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  // The per-target table, for the log.
  console.log(r.stdout.slice(r.stdout.lastIndexOf('\ntarget ')).trim());
});
