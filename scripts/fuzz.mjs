#!/usr/bin/env node
/**
 * Runs the fuzz targets of fuzz/ with Jazzer.js, one after another, and prints what each did.
 *
 *   node scripts/fuzz.mjs [--seconds N] [--jobs N] [--target NAME]... [--regression] [--grow-corpus] [--fresh] [--verbose]
 *   node scripts/fuzz.mjs --target NAME --minimize FILE [--seconds N]
 *
 * --seconds N      fuzz each target for N seconds (default 10)
 * --jobs N         fuzz N targets at a time (default 1); each is one process on one core
 * --target NAME    only this target (repeatable); default all of fuzz/target-list.mjs
 * --regression     only replay the committed corpus, no fuzzing
 * --grow-corpus    afterwards, merge into the committed corpus (fuzz/corpus/NAME) the inputs of the
 *                  scratch corpus (fuzz/scratch/NAME/corpus, kept between runs) that add coverage
 * --fresh          start from the committed corpus alone, with a throw-away scratch corpus
 * --verbose        show libFuzzer's output as it runs (it always goes to fuzz/scratch/NAME/last-run.log)
 * --minimize FILE  shrink a finding for N seconds (libFuzzer's -minimize_crash); writes FILE.min
 *
 * Exits 0 when nothing was found, 1 on a finding (its input is kept in fuzz/findings/NAME/) or a
 * target that failed to run, 2 on bad arguments, 3 when the addon cannot be built here.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findingReport, parseStats } from '../fuzz/lib/libfuzzer-output.mjs';
import { EXIT_TOOLCHAIN_MISSING, ensureFuzzerAddon } from '../fuzz/native/build.mjs';
import { TARGETS } from '../fuzz/target-list.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FUZZ = join(ROOT, 'fuzz');
const JAZZER_CLI = join(dirname(createRequire(join(ROOT, 'package.json')).resolve('@jazzer.js/core/package.json')), 'dist/cli.js');
/** Start-up (instrumenting, loading the corpus) on top of the fuzzing time, before a run counts as hung. */
const STARTUP_ALLOWANCE_S = 120;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      jobs: { type: 'string', default: '1' },
      target: { type: 'string', multiple: true },
      regression: { type: 'boolean', default: false },
      'grow-corpus': { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      minimize: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`--seconds must be a positive integer, got ${values.seconds}`);
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a positive integer, got ${values.jobs}`);
  const names = values.target ?? TARGETS.map((t) => t.name);
  const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`);
  if (values['grow-corpus'] && values.regression) throw new Error('--grow-corpus needs fuzzing, not --regression');
  if (values.minimize !== undefined && (values.target?.length !== 1 || !existsSync(values.minimize))) {
    throw new Error('--minimize needs an existing file and exactly one --target');
  }
  return { ...values, seconds, jobs, targets: TARGETS.filter((t) => names.includes(t.name)) };
}

/** The corpus directories for libFuzzer: new inputs go to the first one. */
function corpusDirs(target, options) {
  const committed = join(FUZZ, 'corpus', target.name);
  mkdirSync(committed, { recursive: true }); // a new target may start from nothing
  if (options.regression) return { dirs: [committed], cleanup: () => {} };
  if (options.fresh) {
    const scratch = mkdtempSync(join(tmpdir(), `sotto-fuzz-${target.name}-`));
    return { dirs: [scratch, committed], cleanup: () => rmSync(scratch, { recursive: true, force: true }) };
  }
  const scratch = join(FUZZ, 'scratch', target.name, 'corpus');
  mkdirSync(scratch, { recursive: true });
  return { dirs: [scratch, committed], cleanup: () => {} };
}

/** Jazzer.js on one harness: what every mode shares. */
function harnessArgs(target) {
  return [
    '--sync', ...target.instrument.flatMap((fragment) => ['-i', fragment]),
    // Jazzer's bug detectors (command injection, path traversal, prototype pollution, SSRF) watch
    // for sinks these pure parsers never reach, and halve the executions per second.
    '--disable_bug_detectors=.*',
  ];
}

function harness(target) {
  return join(FUZZ, 'targets', `${target.name}.fuzz.mjs`);
}

function jazzerArgs(target, options, dirs, findings) {
  const dict = join(FUZZ, 'dict', `${target.name}.dict`);
  return [
    JAZZER_CLI, harness(target), ...dirs, ...harnessArgs(target),
    ...(options.regression ? ['--mode=regression'] : []),
    '--',
    `-max_total_time=${options.seconds}`,
    `-artifact_prefix=${findings}/`,
    '-print_final_stats=1',
    ...(existsSync(dict) ? [`-dict=${dict}`] : []),
    ...(target.maxLen ? [`-max_len=${target.maxLen}`] : []),
  ];
}

function run(args, logFile, options) {
  return new Promise((resolve) => {
    const log = createWriteStream(logFile);
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.seconds + STARTUP_ALLOWANCE_S) * 1000);
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        log.write(chunk);
        if (options.verbose) process.stderr.write(chunk);
      });
    }
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      log.end(() => resolve({ code, signal }));
    });
  });
}

function hexOf(file) {
  const bytes = readFileSync(file);
  return bytes.byteLength <= 512 ? bytes.toString('hex') : `${bytes.subarray(0, 512).toString('hex')}... (${bytes.byteLength} bytes)`;
}

/** libFuzzer's -merge: copies into the committed corpus only the scratch inputs that add coverage. */
async function growCorpus(target, options, scratch) {
  const committed = join(FUZZ, 'corpus', target.name);
  const before = readdirSync(committed).length;
  const args = [JAZZER_CLI, harness(target), committed, scratch, ...harnessArgs(target), '--', '-merge=1',
    ...(target.maxLen ? [`-max_len=${target.maxLen}`] : [])];
  const { code } = await run(args, join(FUZZ, 'scratch', target.name, 'merge.log'), options);
  return code === 0 ? readdirSync(committed).length - before : `merge failed (exit ${code})`;
}

async function fuzzTarget(target, options) {
  const findings = join(FUZZ, 'findings', target.name);
  const scratchDir = join(FUZZ, 'scratch', target.name);
  mkdirSync(findings, { recursive: true });
  mkdirSync(scratchDir, { recursive: true });
  const before = new Set(readdirSync(findings));
  const { dirs, cleanup } = corpusDirs(target, options);
  const logFile = join(scratchDir, 'last-run.log');
  const started = Date.now();
  try {
    const { code, signal } = await run(jazzerArgs(target, options, dirs, findings), logFile, options);
    const text = readFileSync(logFile, 'utf8');
    const artifacts = readdirSync(findings).filter((f) => !before.has(f)).map((f) => join(findings, f));
    const grown = options['grow-corpus'] && code === 0 && artifacts.length === 0 ? await growCorpus(target, options, dirs[0]) : undefined;
    return { target, code, signal, seconds: Math.round((Date.now() - started) / 1000), stats: parseStats(text), artifacts, text, logFile, grown };
  } finally {
    cleanup();
  }
}

function printResult(r) {
  const s = r.stats;
  const ok = r.code === 0 && r.artifacts.length === 0;
  console.log(`${r.target.name}: ${ok ? 'ok' : 'FAILED'} in ${r.seconds} s; ${s.execs} execs (${s.execPerSec}/s), cov ${s.cov}, ft ${s.ft}, `
    + `corpus ${s.corpus}, ${s.newUnits} new, seed ${s.seed}, findings ${r.artifacts.length}`);
  if (r.grown !== undefined) console.log(`  committed corpus: ${typeof r.grown === 'number' ? `${r.grown} inputs added to fuzz/corpus/${r.target.name}` : r.grown}`);
  if (ok) return;
  console.log(`  exit ${r.code ?? r.signal}; log ${relative(ROOT, r.logFile)}`);
  for (const file of r.artifacts) console.log(`  input ${relative(ROOT, file)}: ${hexOf(file)}`);
  console.log(findingReport(r.text).replace(/^/gm, '  | '));
}

function printTable(results) {
  const rows = [['target', 'seconds', 'execs', 'exec/s', 'cov', 'ft', 'corpus', 'new', 'findings'],
    ...results.map((r) => [r.target.name, r.seconds, r.stats.execs, r.stats.execPerSec, r.stats.cov, r.stats.ft, r.stats.corpus,
      r.stats.newUnits, r.artifacts.length || (r.code === 0 ? 0 : `exit ${r.code ?? r.signal}`)].map(String))];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
}

/** Shrinks one finding with libFuzzer's -minimize_crash; the smallest failing input goes to FILE.min. */
async function minimize(target, file, options) {
  const out = `${file}.min`;
  const logFile = join(FUZZ, 'scratch', target.name, 'minimize.log');
  mkdirSync(dirname(logFile), { recursive: true });
  const args = [JAZZER_CLI, harness(target), ...harnessArgs(target), '--',
    '-minimize_crash=1', `-max_total_time=${options.seconds}`, `-exact_artifact_path=${out}`, file];
  const { code, signal } = await run(args, logFile, options);
  if (!existsSync(out)) {
    console.log(`fuzz: ${file} did not fail again (exit ${code ?? signal}); see ${relative(ROOT, logFile)}`);
    return 1;
  }
  console.log(`fuzz: ${readFileSync(file).byteLength} bytes -> ${readFileSync(out).byteLength} bytes in ${relative(ROOT, out)}: ${hexOf(out)}`);
  return 0;
}

async function main() {
  let options;
  try {
    options = parseOptions();
  } catch (error) {
    console.error(`fuzz: ${error.message}`);
    return 2;
  }
  const addon = ensureFuzzerAddon();
  if (addon.action === 'missing') {
    console.error(`fuzz: cannot build the Jazzer.js addon: ${addon.problem}`);
    return EXIT_TOOLCHAIN_MISSING;
  }
  if (options.minimize !== undefined) return minimize(options.targets[0], options.minimize, options);
  console.log(`fuzz: addon ${addon.action}; ${options.regression ? 'replaying the corpus of' : `${options.seconds} s for`} `
    + `${options.targets.map((t) => t.name).join(', ')}`);
  // Targets share nothing but the committed corpora, which only --grow-corpus writes (each its own).
  const results = [];
  const waiting = [...options.targets];
  const worker = async () => {
    for (let target = waiting.shift(); target; target = waiting.shift()) {
      const result = await fuzzTarget(target, options);
      printResult(result);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: options.jobs }, worker));
  results.sort((a, b) => options.targets.indexOf(a.target) - options.targets.indexOf(b.target));
  console.log('');
  printTable(results);
  return results.every((r) => r.code === 0 && r.artifacts.length === 0) ? 0 : 1;
}

process.exitCode = await main();
