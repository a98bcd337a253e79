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
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
/**
 * The spec reporter's summary of failures ("✖ failing tests:" to the end), as written to `file`.
 * Each run's report is also kept in a file so that the failures, errors and stacks whole, can be
 * printed again at the very end: otherwise a failure in an early run scrolls far above the
 * last lines, which are all a CI log's tail shows.
 */
function failuresIn(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  const at = text.indexOf('✖ failing tests:');
  return at < 0 ? '' : text.slice(at).trimEnd();
}

const reports = mkdtempSync(join(tmpdir(), 'sotto-test-reports-'));
let failed = false;
const summaries = [];
for (const [index, { files, concurrency }] of runs.entries()) {
  if (files.length === 0) continue;
  const report = join(reports, `run-${index}.txt`);
  const args = ['--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=spec', `--test-reporter-destination=${report}`, ...files];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  // Every run goes ahead either way, so one report names every failure.
  if (result.status !== 0) {
    failed = true;
    summaries.push(failuresIn(report) || `a test run ended with status ${result.status ?? result.signal} and reported no failing test`);
  }
}
rmSync(reports, { recursive: true, force: true });
if (summaries.length > 0) console.log(`\n===== every failure of this run, again =====\n${summaries.join('\n\n')}`);
process.exit(failed ? 1 : 0);
