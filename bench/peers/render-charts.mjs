#!/usr/bin/env node
// Writes the charts of bench/results/peers.json to docs/charts/<name>.svg (bench/peers.mjs does it
// after every run; this redraws them alone) and prints their paths.
//
//   node bench/peers/render-charts.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCharts } from './charts.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = new URL('../results/peers.json', import.meta.url);
const OUT = new URL('../../docs/charts/', import.meta.url);

/** Writes each chart of `report`; returns the paths written, relative to the repository. */
export function writeCharts(report) {
  mkdirSync(OUT, { recursive: true });
  return renderCharts(report).map(({ name, svg }) => {
    const file = new URL(`${name}.svg`, OUT);
    writeFileSync(file, `${svg}\n`);
    return relative(ROOT, fileURLToPath(file));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const written = writeCharts(JSON.parse(readFileSync(RESULTS, 'utf8')));
  if (!written.length) {
    console.error('no knee results in bench/results/peers.json: no charts written');
    process.exit(1);
  }
  for (const path of written) console.log(path);
}
