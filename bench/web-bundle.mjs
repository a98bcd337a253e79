#!/usr/bin/env node
// The web app's production bundle: every file Vite wrote to packages/web/dist/app, raw and
// gzip-compressed (what a browser downloads from a server that compresses), and what the first
// load needs (index.html, its CSS, the entry chunk and the chunks it imports statically).
// Updates the "web-bundle" section of docs/BENCHMARKS.md. Usage: npm run build && node bench/web-bundle.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { fmt, writeSection } from './lib.mjs';

const root = fileURLToPath(new URL('../packages/web/dist/app', import.meta.url));
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (!name.endsWith('.map')) files.push(path);
  }
})(root);

const sizes = files.map((path) => {
  const bytes = readFileSync(path);
  return { file: relative(root, path), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
});
const sum = (list, key) => list.reduce((total, s) => total + s[key], 0);
const html = readFileSync(join(root, 'index.html'), 'utf8');
const initial = new Set(['index.html', ...[...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1])]);
const firstLoad = sizes.filter((s) => initial.has(s.file));
const js = sizes.filter((s) => s.file.endsWith('.js') && s.file.startsWith('assets/'));
const kib = (n) => fmt(n / 1024, 1);
const largest = [...js].sort((a, b) => b.raw - a.raw).slice(0, 5);
const versions = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url))).version;

console.log({ files: sizes.length, totalRaw: sum(sizes, 'raw'), totalGzip: sum(sizes, 'gzip'), firstLoadRaw: sum(firstLoad, 'raw'), firstLoadGzip: sum(firstLoad, 'gzip') });

writeSection('web-bundle', `<!-- web-bundle:start -->
## Web app bundle (issue 4)

The production build of \`@sotto/web\` (\`packages/web/dist/app\`, source maps excluded), as written by
Vite ${versions('vite')} with React ${versions('react')}. "gzip" is each file compressed at level 9, what a
browser downloads from a compressing proxy; \`sotto serve\` itself sends files uncompressed.

| | files | raw (KiB) | gzip (KiB) |
|---|---|---|---|
| first load (index.html, CSS, entry chunk) | ${firstLoad.length} | ${kib(sum(firstLoad, 'raw'))} | ${kib(sum(firstLoad, 'gzip'))} |
| JavaScript, all chunks | ${js.length} | ${kib(sum(js, 'raw'))} | ${kib(sum(js, 'gzip'))} |
| everything (icons, manifest, service worker included) | ${sizes.length} | ${kib(sum(sizes, 'raw'))} | ${kib(sum(sizes, 'gzip'))} |

Largest chunks: ${largest.map((s) => `\`${s.file.replace(/-[A-Za-z0-9_-]{8}\.js$/, '.js')}\` ${kib(s.raw)} KiB (${kib(s.gzip)} gzip)`).join(', ')}.
The entry chunk holds React, the engine (\`@sotto/core\`, \`@sotto/protocol\` with protobuf-es) and
ts-mls; the post-quantum and curve code (ML-KEM, X-Wing, Ed25519, ChaCha20-Poly1305) is loaded as
separate chunks when the ciphersuite is first used. Run: \`npm run build && node bench/web-bundle.mjs\`.
<!-- web-bundle:end -->`);
console.log('updated docs/BENCHMARKS.md');
