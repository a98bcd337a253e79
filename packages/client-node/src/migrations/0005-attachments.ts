/**
 * @module migrations/0005-attachments
 * A message may carry a file: its `Attachment` descriptor (protobuf, as received: the blob id, the
 * key that opens it, its digest, size, type and name) is kept with the message, so the file can be
 * fetched and checked whenever the member asks, and never before.
 */
import type { ClientMigration } from '../migration-types.js';

export const clientMigration0005: ClientMigration = {
  version: 5,
  name: 'attachments',
  up: `ALTER TABLE messages ADD COLUMN attachment BLOB;`,
};
