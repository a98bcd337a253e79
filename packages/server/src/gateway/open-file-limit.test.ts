/** @module gateway/open-file-limit.test Reading the soft open-file limit from a /proc limits file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileLimit } from './open-file-limit.js';

test('the soft limit is read; unlimited and a missing file give undefined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-limits-'));
  try {
    const file = join(dir, 'limits');
    const header = 'Limit                     Soft Limit           Hard Limit           Units     \n';
    writeFileSync(file, `${header}Max processes             95000                95000                processes \nMax open files            4096                 524288               files     \n`);
    assert.equal(openFileLimit(file), 4096);
    writeFileSync(file, `${header}Max open files            unlimited            unlimited            files     \n`);
    assert.equal(openFileLimit(file), undefined);
    assert.equal(openFileLimit(join(dir, 'missing')), undefined);
    if (process.platform === 'linux') assert.ok((openFileLimit() ?? 0) > 0, 'this process has a limit');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
