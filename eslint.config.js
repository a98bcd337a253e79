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

const pureImports = [
  { group: ['node:*'], message: 'protocol and core are pure: no node:* modules.' },
  ...forbid(NODE_BUILTINS, 'protocol and core are pure: no Node built-ins.'),
  ...forbid(IO_PACKAGES, 'protocol and core are pure: no I/O packages.'),
];

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
        'no-restricted-imports': ['error', {
          patterns: [
            ...(pure ? pureImports : []),
            ...(browser ? [{ group: ['node:*'], message: 'web runs in the browser: no node:* modules.' }] : []),
            ...banned.map((name) => ({ group: [name, `${name}/*`], message: `${layer} must not import ${name} (see docs/ARCHITECTURE.md).` })),
            relativeEscape,
          ],
        }],
        ...(pure ? { 'no-restricted-globals': ['error', ...PURE_GLOBALS] } : {}),
      },
    };
  }),
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
);
