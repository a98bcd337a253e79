#!/usr/bin/env node
// Runs every compiled test with Node's test runner: unit tests beside the
// code (packages/*/dist/**/*.test.js) and scenarios (dist-test/**/*.test.js).
// `--unit` runs only the unit tests. Services (PostgreSQL, NATS) that tests
// need are checked by those tests themselves.
import { readdirSync, statSync } from 'node:fs';
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
const files = unitOnly ? unit : scenariosOnly ? scenarios : [...unit, ...scenarios];
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
