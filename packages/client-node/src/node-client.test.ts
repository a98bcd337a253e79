import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeClientDeps } from './node-client.js';
import { nodeEd25519 } from './node-ed25519.js';

// Every Node entry point (CLI, bots, scenarios) builds its client from these deps.
test('Node clients sign with node:crypto', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-node-client-'));
  try {
    const deps = nodeClientDeps({ profileDir: dir, logLevel: 'silent' });
    assert.equal(deps.signature, nodeEd25519);
    await deps.store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
