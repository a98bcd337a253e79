/**
 * @module app/received-files
 * Received files fetched into memory, once each: a tap, or auto-download, asks the engine to
 * fetch, check and decrypt the file (`attachments.save` into a memory sink), and later taps use
 * the checked bytes. Nothing here decodes: what the bytes may become (an image in the sandbox,
 * audio, a download) is the caller's choice, after the engine classified them.
 */
import type { SavedFile, SottoClient } from '@sotto/core';
import { memorySink } from '../media/file-ports.js';

export interface ReceivedFile {
  readonly bytes: Uint8Array;
  readonly saved: SavedFile;
}

/** At most this many bytes stay in memory; the oldest files are dropped first (a tap fetches them again). */
const MEMORY_BUDGET = 64 * 1024 * 1024;
const files = new Map<string, Promise<ReceivedFile>>();
const sizes = new Map<string, number>();

function trim(): void {
  let total = [...sizes.values()].reduce((a, b) => a + b, 0);
  for (const [id, size] of sizes) {
    if (total <= MEMORY_BUDGET) return;
    sizes.delete(id);
    files.delete(id);
    total -= size;
  }
}

/** The checked bytes of `messageId`'s file, fetched now if they are not here yet. */
export function fetchReceivedFile(client: SottoClient, messageId: string): Promise<ReceivedFile> {
  const known = files.get(messageId);
  if (known) return known;
  const fetching = (async () => {
    const sink = memorySink();
    const saved = await client.attachments.save(messageId, sink);
    return { bytes: sink.bytes(), saved };
  })();
  files.set(messageId, fetching);
  fetching.then(
    (file) => {
      sizes.set(messageId, file.bytes.byteLength);
      trim();
    },
    // A failure is not kept: the member may tap again.
    () => files.delete(messageId),
  );
  return fetching;
}

/** Whether `messageId`'s file is already in memory (fetched and checked). */
export async function isFetched(messageId: string): Promise<boolean> {
  const known = files.get(messageId);
  if (!known) return false;
  return known.then(() => true, () => false);
}
