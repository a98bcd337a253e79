// @ts-check
/**
 * Lint configuration. The layering block enforces the import direction of
 * docs/ARCHITECTURE.md: protocol <- core <- client-node / web <- cli, and
 * protocol <- server. `protocol` and `core` are pure ("common"): no I/O, no
 * node:* modules, no DOM, so one engine runs in Node and in the browser.
 *
 * Do not relax these rules. If code needs I/O, it belongs in an adapter package.
 */
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const NODE_BUILTINS = [
  'assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events',
  'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process',
  'readline', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];
const IO_PACKAGES = ['ws', 'better-sqlite3', 'pg', 'nats', 'fastify', 'pino', 'prom-client', 'werift', 'commander'];

/** @param {string[]} packages @param {string} why */
function forbid(packages, why) {
  return packages.flatMap((name) => [
    { group: [name, `${name}/*`], message: why },
  ]);
}

const PURE_GLOBALS = [
  'window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'indexedDB', 'fetch',
  'WebSocket', 'RTCPeerConnection', 'XMLHttpRequest', 'process', 'Buffer', 'require', '__dirname',
  '__filename', 'setImmediate', 'global',
].map((name) => ({ name, message: 'Pure packages reach the outside world only through injected interfaces.' }));

/**
 * What the pure packages may import at all: their own files, the packages below them, and
 * the pure libraries named here. A new dependency must be added here on purpose, so an I/O
 * package cannot slip into the engine by being absent from a list of forbidden ones.
 */
const PURE_ALLOWED = {
  protocol: ['@bufbuild/protobuf'],
  // file-type only by its browser-safe entry: its bare name resolves in Node to an entry that imports node:fs.
  core: ['@sotto/protocol', '@bufbuild/protobuf', 'ts-mls', '@noble/*', '@hpke/*', 'file-type/core'],
};
/** Pure packages' tests may also use the test runner, assertions and property testing. */
const PURE_TEST_ALLOWED = ['node:test', 'node:assert', 'node:assert/strict', 'fast-check'];

/** @param {string} name */
const escapeRegex = (name) => name.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** A pattern refusing every import that is not relative and not one of `allowed` (a trailing `/*` allows a scope). */
function onlyImports(/** @type {string[]} */ allowed, /** @type {string} */ layer) {
  const names = allowed.map((name) => (name.endsWith('/*') ? `${escapeRegex(name.slice(0, -1))}` : `${escapeRegex(name)}(/|$)`));
  // Imports another pattern already refuses with a sharper message are left to it: one problem per import.
  names.push('node:', '@sotto/', ...[...NODE_BUILTINS, ...IO_PACKAGES].map((name) => `${escapeRegex(name)}(/|$)`));
  return {
    regex: `^(?!\\.{1,2}/|${names.join('|')})`,
    message: `${layer} is pure: it may import only ${allowed.join(', ')} (eslint.config.js PURE_ALLOWED lists them; I/O belongs in an adapter package).`,
  };
}

const pureImports = [
  { group: ['node:*'], message: 'protocol and core are pure: no node:* modules.' },
  ...forbid(NODE_BUILTINS, 'protocol and core are pure: no Node built-ins.'),
  ...forbid(IO_PACKAGES, 'protocol and core are pure: no I/O packages.'),
];

/**
 * The server's own layers: gateway -> services -> storage, with the bus and rate limiters
 * as infrastructure beside storage. A lower layer never imports a higher one, and nothing
 * inside imports the composition roots (server.ts, admin.ts).
 */
const SERVER_LAYERS = {
  gateway: [],
  services: ['gateway'],
  bus: ['gateway', 'services'],
  storage: ['gateway', 'services', 'bus'],
  'rate-limits': ['gateway', 'services', 'storage', 'bus'],
};
const SERVER_ROOTS = ['server', 'admin'];

/** @param {string} layer @param {string[]} higher */
function serverLayerPatterns(layer, higher) {
  return [
    ...higher.map((above) => ({
      regex: `^(\\.\\./)+${escapeRegex(above)}/`,
      message: `server/${layer} must not import server/${above}: the server's layers are gateway -> services -> storage (docs/ARCHITECTURE.md).`,
    })),
    {
      regex: `^(\\.\\./)+(${SERVER_ROOTS.join('|')})\\.js$`,
      message: `server/${layer} must not import a composition root (server.ts, admin.ts): they import it.`,
    },
  ];
}

/** Packages each layer must never import. */
const layering = {
  protocol: ['@sotto/core', '@sotto/client-node', '@sotto/server', '@sotto/cli', '@sotto/web'],
  core: ['@sotto/client-node', '@sotto/server', '@sotto/cli', '@sotto/web'],
  'client-node': ['@sotto/server', '@sotto/cli', '@sotto/web'],
  web: ['@sotto/server', '@sotto/cli', '@sotto/client-node'],
  server: ['@sotto/core', '@sotto/client-node', '@sotto/cli', '@sotto/web'],
  cli: ['@sotto/web'],
};

const relativeEscape = {
  regex: '^(\\.\\./)+(packages/)?(protocol|core|client-node|server|cli|web)/(src|dist)/',
  message: 'Import another package by its @sotto/* name, never by relative source path.',
};

/** The import patterns of one package's sources: its banned packages, and the allow-list if it is pure. */
function packagePatterns(/** @type {string} */ layer, /** @type {string[]} */ banned) {
  const pure = layer === 'protocol' || layer === 'core';
  const browser = layer === 'web';
  return [
    ...(pure ? [...pureImports, onlyImports(PURE_ALLOWED[/** @type {'protocol' | 'core'} */ (layer)], layer)] : []),
    ...(browser ? [{ group: ['node:*'], message: 'web runs in the browser: no node:* modules.' }] : []),
    ...banned.map((name) => ({ group: [name, `${name}/*`], message: `${layer} must not import ${name} (see docs/ARCHITECTURE.md).` })),
    relativeEscape,
  ];
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/dist-test/**', '**/gen/**', '**/node_modules/**', 'packages/web/dev-dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...Object.entries(layering).map(([layer, banned]) => {
    const pure = layer === 'protocol' || layer === 'core';
    const browser = layer === 'web';
    return {
      files: [`packages/${layer}/src/**/*.ts`, `packages/${layer}/src/**/*.tsx`],
      ignores: pure || browser ? ['**/*.test.ts'] : [],
      rules: {
        'no-restricted-imports': ['error', { patterns: packagePatterns(layer, banned) }],
        ...(pure ? {
          'no-restricted-globals': ['error', ...PURE_GLOBALS],
          'no-restricted-properties': ['error',
            { object: 'Math', property: 'random', message: 'Randomness is injected (ports.ts Random), so tests can fix it and it is never a weak source by accident.' },
            { object: 'Date', property: 'now', message: 'Time is injected (ports.ts Clock).' },
            { object: 'crypto', property: 'getRandomValues', message: 'Randomness is injected (ports.ts Random).' },
          ],
        } : {}),
      },
    };
  }),
  // Later blocks replace a rule's options for the files they match, so each repeats its package's patterns.
  ...Object.entries(SERVER_LAYERS).map(([layer, higher]) => ({
    files: [`packages/server/src/${layer}/**/*.ts`],
    ignores: ['**/*.test.ts', '**/*.contract.ts', '**/test-*.ts', '**/*-test-env.ts', '**/*fixture*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...packagePatterns('server', layering.server), ...serverLayerPatterns(layer, higher)] }],
    },
  })),
  {
    // No import cycles anywhere in the packages' sources: a cycle means two modules are one.
    files: ['packages/*/src/**/*.ts', 'packages/*/src/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['packages/*/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Tests of pure packages may use node:test, but still not other packages against the direction.
    files: ['packages/protocol/src/**/*.test.ts', 'packages/core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@sotto/client-node', '@sotto/server', '@sotto/cli', '@sotto/web'], message: 'Pure package tests stay pure.' },
        relativeEscape,
      ] }],
    },
  },
  ...Object.entries(PURE_ALLOWED).map(([layer, allowed]) => ({
    files: [`packages/${layer}/src/**/*.test.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@sotto/client-node', '@sotto/server', '@sotto/cli', '@sotto/web'], message: 'Pure package tests stay pure.' },
        relativeEscape,
        ...forbid(IO_PACKAGES, 'Pure package tests stay pure: no I/O packages.'),
        onlyImports([...allowed, ...PURE_TEST_ALLOWED], `${layer} (tests)`),
      ] }],
    },
  })),
);
