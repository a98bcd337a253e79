/**
 * The layering lint rule fails on imports against the architecture's direction
 * (docs/ARCHITECTURE.md). Checked with ESLint itself on sample files.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../support/paths.js';

const eslint = new ESLint({ cwd: REPO_ROOT });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO_ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId?.startsWith('no-restricted')).map((m) => m.message);
}

/** Lints files on disk (import-x/no-cycle follows imports through the file system). */
async function cycleProblems(files: string[]): Promise<string[]> {
  const results = await eslint.lintFiles(files);
  return results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'import-x/no-cycle').map((m) => `${r.filePath}: ${m.message}`));
}

test('protocol and core may not import node:*, Node built-ins, I/O packages or DOM globals', async () => {
  for (const pkg of ['protocol', 'core']) {
    const file = `packages/${pkg}/src/sample.ts`;
    assert.equal((await problems(file, "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n")).length, 1);
    assert.equal((await problems(file, "import Database from 'better-sqlite3';\nexport const d = Database;\n")).length, 1);
    assert.equal((await problems(file, "import WebSocket from 'ws';\nexport const w = WebSocket;\n")).length, 1);
    assert.equal((await problems(file, 'export const w = window.location;\n')).length, 1);
    assert.equal((await problems(file, 'export const p = process.env;\n')).length, 1);
    assert.equal((await problems(file, 'export const r = Math.random();\n')).length, 1, 'randomness is injected');
    assert.equal((await problems(file, 'export const t = Date.now();\n')).length, 1, 'time is injected');
  }
});

test('packages may not import against the direction, nor by relative source path', async () => {
  assert.equal((await problems('packages/core/src/sample.ts', "import { startServer } from '@sotto/server';\nexport const s = startServer;\n")).length, 1);
  assert.equal((await problems('packages/server/src/sample.ts', "import { SottoClient } from '@sotto/core';\nexport const c = SottoClient;\n")).length, 1);
  assert.equal((await problems('packages/protocol/src/sample.ts', "import { SottoClient } from '@sotto/core';\nexport const c = SottoClient;\n")).length, 1);
  assert.equal((await problems('packages/cli/src/sample.ts', "import { x } from '../../core/src/index.js';\nexport const y = x;\n")).length, 1);
});

test('the allowed directions pass', async () => {
  assert.deepEqual(await problems('packages/core/src/sample.ts', "import { LIMITS } from '@sotto/protocol';\nexport const l = LIMITS;\n"), []);
  assert.deepEqual(await problems('packages/cli/src/sample.ts', "import { SottoClient } from '@sotto/core';\nimport { startServer } from '@sotto/server';\nexport const a = [SottoClient, startServer];\n"), []);
  assert.deepEqual(await problems('packages/server/src/a/b.ts', "import { x } from '../../errors.js';\nexport const y = x;\n"), []);
});

test('protocol and core may import only the packages on their allow-list', async () => {
  // undici, axios and a made-up package are on no list of forbidden I/O packages: the allow-list refuses them anyway.
  for (const name of ['undici', 'axios', 'left-pad-io']) {
    assert.equal((await problems('packages/core/src/sample.ts', `import x from '${name}';\nexport const y = x;\n`)).length, 1, `core importing ${name}`);
    assert.equal((await problems('packages/protocol/src/sample.ts', `import x from '${name}';\nexport const y = x;\n`)).length, 1, `protocol importing ${name}`);
  }
  assert.equal((await problems('packages/protocol/src/sample.ts', "import { MlsContext } from 'ts-mls';\nexport const m = MlsContext;\n")).length, 1, 'protocol has no MLS');
  assert.equal((await problems('packages/core/src/calls/sample.test.ts', "import x from 'ws';\nexport const y = x;\n")).length, 1, "core's tests stay pure too");
  assert.deepEqual(await problems('packages/core/src/sample.ts', "import { sha512 } from '@noble/hashes/sha2.js';\nimport { create } from '@bufbuild/protobuf';\nimport { x } from './mls/group.js';\nexport const a = [sha512, create, x];\n"), []);
  assert.deepEqual(await problems('packages/core/src/sample.test.ts', "import { test } from 'node:test';\nimport fc from 'fast-check';\nexport const a = [test, fc];\n"), []);
});

test("the server's layers: gateway -> services -> storage, never upwards, never into server.ts", async () => {
  const upwards: [string, string][] = [
    ['packages/server/src/storage/sqlite/sample.ts', '../../services/accounts.js'],
    ['packages/server/src/storage/sample.ts', '../gateway/connection.js'],
    ['packages/server/src/services/sample.ts', '../gateway/requests.js'],
    ['packages/server/src/bus/nats/sample.ts', '../../services/delivery.js'],
    ['packages/server/src/rate-limits/sample.ts', '../storage/store.js'],
    ['packages/server/src/services/sample.ts', '../server.js'],
  ];
  for (const [file, target] of upwards) {
    assert.equal((await problems(file, `import { x } from '${target}';\nexport const y = x;\n`)).length, 1, `${file} importing ${target}`);
  }
  assert.deepEqual(await problems('packages/server/src/gateway/sample.ts', "import { x } from '../services/accounts.js';\nexport const y = x;\n"), []);
  assert.deepEqual(await problems('packages/server/src/services/sample.ts', "import { x } from '../storage/store.js';\nexport const y = x;\n"), []);
});

test('an import cycle fails the lint', async () => {
  const dir = join(REPO_ROOT, 'packages/cli/src/zz-lint-cycle-sample');
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n");
    writeFileSync(join(dir, 'b.ts'), "import { a } from './a.js';\nexport const b = (): number => a() - 1;\n");
    writeFileSync(join(dir, 'c.ts'), "import { b } from './b.js';\nexport const c = (): number => b();\n");
    const found = await cycleProblems([join(dir, 'a.ts'), join(dir, 'b.ts'), join(dir, 'c.ts')]);
    assert.equal(found.filter((f) => f.includes('/a.ts') || f.includes('/b.ts')).length, 2, found.join('\n'));
    assert.equal(found.filter((f) => f.includes('/c.ts')).length, 0, 'importing into a cycle is not itself a cycle');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
