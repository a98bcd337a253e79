import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runStorageContract } from '../store.contract.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'sotto-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStorageContract('sqlite', async () => new SqliteStore({ path: join(dir, 'contract.db') }));
