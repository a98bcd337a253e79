#!/usr/bin/env node
// Runs every compiled test with Node's test runner: unit tests beside the
// code (packages/*/dist/**/*.test.js) and scenarios (dist-test/**/*.test.js).
// `--unit` runs only the unit tests, `--scenarios` only the scenarios. Services
// (PostgreSQL, NATS) that tests need are checked by those tests themselves.
//
// Unit test files run two at a time: they share nothing (a PostgreSQL schema,
// ports and directories of their own each), and most of a file's time is Node
// starting and loading modules, so two cores halve it. Scenarios run one at a
// time, as they start servers, CLI processes and browsers that time real calls
// and real media, and the cluster scenario restarts the shared NATS and
// PostgreSQL; except those whose module comment carries the `@paired` tag: they
// time no media and restart nothing shared, and mostly wait on one CLI process
// or one browser at a time, so they run two at a time, before the others.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const scenariosOnly = process.argv.includes('--scenarios');

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const unit = readdirSync('packages').flatMap((pkg) => find(join('packages', pkg, 'dist')));
const scenarios = find('dist-test');
const PAIRED = /^ \* @paired /m;
const paired = scenarios.filter((file) => PAIRED.test(readFileSync(file, 'utf8')));
const solo = scenarios.filter((file) => !paired.includes(file));
const runs = [
  ...(scenariosOnly ? [] : [{ files: unit, concurrency: 2 }]),
  ...(unitOnly ? [] : [{ files: paired, concurrency: 2 }, { files: solo, concurrency: 1 }]),
];
if (runs.every((run) => run.files.length === 0)) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
let failed = false;
for (const { files, concurrency } of runs) {
  if (files.length === 0) continue;
  const args = ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  // Every run goes ahead either way, so one report names every failure.
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
