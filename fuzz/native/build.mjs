#!/usr/bin/env node
/**
 * @module fuzz/native/build
 * Builds Jazzer.js's native addon against Debian's libFuzzer and installs it over the npm
 * prebuilt, whose glibc is newer than Debian 12's (see README.md). Idempotent: a stamp of every
 * input (sources, flags, compiler, libFuzzer archive, header packages) decides whether to
 * compile, and the install is skipped when the installed file already is this build.
 *
 * `node fuzz/native/build.mjs` exits 0 when the addon is ready, 3 when the toolchain is missing.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(HERE, '../..');
const OUT_DIR = join(HERE, 'build');
const ADDON = join(OUT_DIR, 'fuzzer-linux-x64.node');
const STAMP = join(OUT_DIR, 'stamp');

/** Where Debian's libclang-rt-16-dev puts libFuzzer without its main(); override with LIBFUZZER. */
export const LIBFUZZER = process.env.LIBFUZZER
  ?? '/usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a';
export const LIBFUZZER_PACKAGE = 'libclang-rt-16-dev';
/** Exit code of this script and of scripts/fuzz.mjs when the toolchain is missing. */
export const EXIT_TOOLCHAIN_MISSING = 3;

const SOURCES = [
  ...['addon.cpp', 'fuzzing_async.cpp', 'fuzzing_sync.cpp', 'utils.cpp'].map((f) => join(HERE, 'jazzer', f)),
  ...['callbacks.cpp', 'coverage.cpp', 'sanitizer_symbols.cpp', 'tracing.cpp'].map((f) => join(HERE, 'jazzer/shared', f)),
  join(HERE, 'shim/shim.cpp'),
];
// The mangled name of fuzzer::FuzzerDriver(int*, char***, int (*)(const uint8_t*, size_t)).
const FUZZER_DRIVER = '_ZN6fuzzer12FuzzerDriverEPiPPPcPFiPKhmE';

/** Why the addon cannot be built here, or null when it can. */
export function toolchainProblem() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null; // the npm prebuilt is used as is
  if (!existsSync(LIBFUZZER)) return `missing ${LIBFUZZER} (apt-get install ${LIBFUZZER_PACKAGE})`;
  if (spawnSync('c++', ['--version']).status !== 0) return 'missing a C++ compiler (c++)';
  return null;
}

function includeDirs() {
  const require = createRequire(join(REPO_ROOT, 'package.json'));
  const fuzzerPackage = dirname(require.resolve('@jazzer.js/fuzzer/package.json'));
  // node-addon-api is @jazzer.js/fuzzer's own dependency, so resolve it from there.
  const addonApi = dirname(createRequire(join(fuzzerPackage, 'package.json')).resolve('node-addon-api/package.json'));
  const nodeApi = require('node-api-headers').include_dir;
  return { fuzzerPackage, dirs: [join(HERE, 'shim/include'), addonApi, nodeApi] };
}

function hashFiles(hash, files) {
  for (const file of files) hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file));
}

function headersUnder(dir) {
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.h')).map((f) => join(dir, String(f))).sort();
}

/** Builds when needed, then installs. Returns what it did, for the caller to log. */
export function ensureFuzzerAddon() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { action: 'prebuilt' };
  const problem = toolchainProblem();
  if (problem) return { action: 'missing', problem };

  const { fuzzerPackage, dirs } = includeDirs();
  const flags = [
    '-shared', '-fPIC', '-O2', '-std=gnu++17', '-DNDEBUG', '-DNAPI_VERSION=4', '-DBUILDING_NODE_EXTENSION',
    '-DNODE_ADDON_API_CPP_EXCEPTIONS', '-w',
    ...dirs.map((d) => `-I${d}`),
  ];
  const links = [
    `-Wl,--wrap=${FUZZER_DRIVER}`, '-Wl,--wrap=exit',
    // Whole archive: libFuzzer's hooks must be present even though nothing here calls them.
    '-Wl,--whole-archive', LIBFUZZER, '-Wl,--no-whole-archive', '-lpthread',
  ];
  const hash = createHash('sha256');
  hashFiles(hash, [...SOURCES, ...headersUnder(join(HERE, 'jazzer')), ...headersUnder(join(HERE, 'shim')), ...dirs.slice(1).flatMap(headersUnder), LIBFUZZER]);
  hash.update(JSON.stringify([flags, links])).update(spawnSync('c++', ['--version']).stdout);
  const stamp = hash.digest('hex');

  let action = 'up-to-date';
  if (!existsSync(ADDON) || !existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== stamp) {
    mkdirSync(OUT_DIR, { recursive: true });
    const r = spawnSync('c++', [...flags, ...SOURCES, '-o', `${ADDON}.tmp`, ...links], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`c++ failed (${r.status}):\n${r.stderr}`);
    renameSync(`${ADDON}.tmp`, ADDON);
    writeFileSync(STAMP, stamp);
    action = 'built';
  }

  // Install by rename, never by writing in place: a running fuzzer may have the old file mapped.
  const installed = join(fuzzerPackage, 'prebuilds/fuzzer-linux-x64.node');
  const built = readFileSync(ADDON);
  if (!existsSync(installed) || !readFileSync(installed).equals(built)) {
    if (existsSync(installed) && !existsSync(`${installed}.orig`)) copyFileSync(installed, `${installed}.orig`);
    copyFileSync(ADDON, `${installed}.tmp`);
    renameSync(`${installed}.tmp`, installed);
    action = action === 'built' ? 'built and installed' : 'installed';
  }
  return { action, addon: ADDON, installed };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const result = ensureFuzzerAddon();
  if (result.action === 'missing') {
    console.error(`fuzz: cannot build the Jazzer.js addon: ${result.problem}`);
    process.exit(EXIT_TOOLCHAIN_MISSING);
  }
  console.log(`fuzz: Jazzer.js addon ${result.action} (${Date.now() - started} ms)`);
}
