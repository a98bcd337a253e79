#!/usr/bin/env node
/**
 * @module fuzz/replay
 * Runs inputs through a harness in plain Node, without Jazzer.js or its native addon:
 *
 *   node fuzz/replay.mjs                     every target's committed corpus
 *   node fuzz/replay.mjs TARGET [PATH]...    files, or directories of them (default: its corpus)
 *
 * For reading a finding (full stack, no instrumentation in the way), for checking a fix, and so
 * that the committed corpora, regression inputs included, are checked where the addon cannot be
 * built. Exits 1 when any input fails.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { TARGETS } from './target-list.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

function inputsUnder(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().map((name) => join(path, name)).filter((file) => statSync(file).isFile());
}

async function replay(name, paths) {
  const { fuzz } = await import(join(HERE, 'targets', `${name}.fuzz.mjs`));
  const files = paths.flatMap(inputsUnder);
  let failed = 0;
  for (const file of files) {
    try {
      fuzz(readFileSync(file));
    } catch (error) {
      failed++;
      console.log(`${name}: ${relative(process.cwd(), file)} FAILED\n${inspect(error, { depth: 6 })}\n`);
    }
  }
  console.log(`${name}: ${files.length - failed}/${files.length} inputs pass`);
  return failed;
}

const [name, ...paths] = process.argv.slice(2);
if (name !== undefined && !TARGETS.some((t) => t.name === name)) {
  console.error(`unknown target ${name}; known: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const jobs = name === undefined
  ? TARGETS.map((t) => [t.name, [join(HERE, 'corpus', t.name)]])
  : [[name, paths.length > 0 ? paths : [join(HERE, 'corpus', name)]]];
let failures = 0;
for (const [target, inputs] of jobs) failures += await replay(target, inputs);
process.exitCode = failures > 0 ? 1 : 0;
