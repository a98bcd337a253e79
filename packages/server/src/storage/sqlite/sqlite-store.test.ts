import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRateLimiter } from '../../rate-limits/memory-rate-limiter.js';
import { runStorageContract } from '../store.contract.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'sotto-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStorageContract('sqlite', async () => new SqliteStore({ path: join(dir, 'contract.db') }));

test('the rate limiter of a SQLite store lives in memory, one per store', async () => {
  const store = new SqliteStore({ path: join(dir, 'limiter.db') });
  try {
    assert.ok(store.rateLimiter() instanceof MemoryRateLimiter);
    assert.equal(store.rateLimiter(), store.rateLimiter());
  } finally {
    await store.close();
  }
});
