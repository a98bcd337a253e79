/** @module blobs/postgres-blob-bytes.test The blob bytes contract in PostgreSQL, and two nodes reading what one wrote. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../storage/postgres/postgres-store.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from '../storage/postgres/test-database.js';
import { runBlobBytesContract } from './blob-bytes.contract.js';

const schemas: TestSchema[] = [];
after(async () => {
  for (const schema of schemas) await schema.drop();
});

async function freshStore(): Promise<PostgresStore> {
  const schema = await withTestSchema();
  schemas.push(schema);
  return PostgresStore.connect(schema.url, { maxConnections: 4 });
}

await describeWithPostgres('blob bytes: postgres', () => {
  runBlobBytesContract('postgres', async () => {
    const store = await freshStore();
    return { bytes: store.blobBytes(), close: () => store.close() };
  });

  test('what one node wrote, another node on the same database reads', async () => {
    const schema = await withTestSchema();
    schemas.push(schema);
    const [a, b] = await Promise.all([PostgresStore.connect(schema.url), PostgresStore.connect(schema.url)]);
    try {
      const blobId = new Uint8Array(16).fill(3);
      async function* body(): AsyncGenerator<Uint8Array> {
        yield new Uint8Array([9, 8, 7, 6]);
      }
      await a!.blobBytes().append(blobId, 0, body(), 4);
      const stream = await b!.blobBytes().read(blobId, 1);
      const parts: Buffer[] = [];
      for await (const part of stream as AsyncIterable<Buffer>) parts.push(part);
      assert.deepEqual(Buffer.concat(parts), Buffer.from([8, 7, 6]));
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });
});
