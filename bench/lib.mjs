// Shared helpers for benchmarks: timing, percentiles, machine facts.
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function median(values) {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function machine() {
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url))).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    tsMls: pkg('ts-mls'),
    betterSqlite3: pkg('better-sqlite3'),
    ws: pkg('ws'),
  };
}

export const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

const BENCHMARKS_MD = new URL('../docs/BENCHMARKS.md', import.meta.url);
const SECTION = /<!-- ([a-z-]+):start -->[\s\S]*?<!-- \1:end -->/g;

/** Puts `section` (which starts and ends with its markers) in docs/BENCHMARKS.md, replacing its old copy. */
export function writeSection(name, section) {
  const doc = readFileSync(BENCHMARKS_MD, 'utf8');
  const marked = new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->`);
  writeFileSync(BENCHMARKS_MD, marked.test(doc) ? doc.replace(marked, section) : doc.replace('## How to run', `${section}\n\n## How to run`));
}

/** Writes docs/BENCHMARKS.md as `doc`, carrying over the sections other benchmark scripts wrote. */
export function writeBenchmarksKeepingSections(doc) {
  let old = '';
  try {
    old = readFileSync(BENCHMARKS_MD, 'utf8');
  } catch {
    // first run: nothing to keep
  }
  // A section the new text already holds (even as an empty placeholder) keeps its place there.
  const kept = (old.match(SECTION) ?? []).filter((section) => !doc.includes(section.slice(0, section.indexOf('-->') + 3)));
  let text = kept.length ? doc.replace('## How to run', `${kept.join('\n\n')}\n\n## How to run`) : doc;
  // Placeholders in the new text take the old section's content until their script writes anew.
  for (const section of old.match(SECTION) ?? []) {
    const name = /<!-- ([a-z-]+):start -->/.exec(section)[1];
    text = text.replace(`<!-- ${name}:start --><!-- ${name}:end -->`, section);
  }
  writeFileSync(BENCHMARKS_MD, text);
}

/** CPU seconds (user + system) process `pid` has used so far, from /proc (100 ticks a second); 0 once it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
