/** @module output.test The CLI's error lines: the engine's surface-neutral text plus the CLI's own advice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeClientDeps } from '@sotto/client-node';
import { ClientError, SottoClient } from '@sotto/core';
import { describeError, exitCodeFor } from './output.js';

test('an empty profile is reported with the command that fixes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-cli-output-'));
  const deps = nodeClientDeps({ profileDir: dir, logLevel: 'silent' });
  try {
    // The engine's own error, as any member command on a fresh profile meets it.
    const error = await SottoClient.open(deps).then(
      () => assert.fail('an empty profile opened'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof ClientError && error.code === 'NOT_REGISTERED');
    assert.doesNotMatch(error.message, /sotto/, 'the engine names no command');
    const { code, message } = describeError(error);
    assert.equal(code, 'NOT_REGISTERED');
    assert.match(message, /^This device has no account yet\. Run "sotto register" first\.$/);
    assert.equal(exitCodeFor(error), 1);
  } finally {
    await deps.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('codes without advice keep the engine text as it is', () => {
  assert.deepEqual(describeError(new ClientError('INVALID_INPUT', 'That is you.')), { code: 'INVALID_INPUT', message: 'That is you.' });
});
