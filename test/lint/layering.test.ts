/**
 * The layering lint rule fails on imports against the architecture's direction
 * (docs/ARCHITECTURE.md). Checked with ESLint itself on sample files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../support/paths.js';

const eslint = new ESLint({ cwd: REPO_ROOT });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO_ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId?.startsWith('no-restricted')).map((m) => m.message);
}

test('protocol and core may not import node:*, Node built-ins, I/O packages or DOM globals', async () => {
  for (const pkg of ['protocol', 'core']) {
    const file = `packages/${pkg}/src/sample.ts`;
    assert.equal((await problems(file, "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n")).length, 1);
    assert.equal((await problems(file, "import Database from 'better-sqlite3';\nexport const d = Database;\n")).length, 1);
    assert.equal((await problems(file, "import WebSocket from 'ws';\nexport const w = WebSocket;\n")).length, 1);
    assert.equal((await problems(file, 'export const w = window.location;\n')).length, 1);
    assert.equal((await problems(file, 'export const p = process.env;\n')).length, 1);
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
