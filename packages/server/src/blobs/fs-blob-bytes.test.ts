/** @module blobs/fs-blob-bytes.test The blob bytes contract on files, and the files' place and modes. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBlobBytesContract } from './blob-bytes.contract.js';
import { FsBlobBytes } from './fs-blob-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'sotto-blobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let made = 0;

runBlobBytesContract('files', async () => ({ bytes: new FsBlobBytes(join(dir, `b${++made}`, 'blobs')), close: async () => undefined }));

test('a blob is a 0600 file two directory levels down by its hex id, in 0700 directories', async () => {
  const root = join(dir, 'modes', 'blobs');
  const bytes = new FsBlobBytes(root);
  const blobId = new Uint8Array(Buffer.from('abcdef0123456789abcdef0123456789', 'hex'));
  async function* one(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array([1, 2, 3]);
  }
  await bytes.append(blobId, 0, one(), 3);
  const file = join(root, 'ab', 'cd', 'abcdef0123456789abcdef0123456789');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  for (const d of [root, join(root, 'ab'), join(root, 'ab', 'cd')]) assert.equal(statSync(d).mode & 0o777, 0o700, d);
});

test('a relative root works: the directories made are synced up to the first one made', async () => {
  const previous = process.cwd();
  process.chdir(dir);
  try {
    const bytes = new FsBlobBytes(join('relative', 'blobs'));
    async function* one(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([4, 5]);
    }
    const blobId = new Uint8Array(16).fill(0x11);
    assert.equal(await bytes.append(blobId, 0, one(), 2), 2);
    assert.equal(await bytes.length(blobId), 2);
  } finally {
    process.chdir(previous);
  }
});
