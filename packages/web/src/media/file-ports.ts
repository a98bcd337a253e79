/**
 * @module media/file-ports
 * The engine's file ports in the browser: a `FileSource` over a Blob (a picked, dropped or pasted
 * file, or bytes made here) that reports upload progress, a `FileSink` that keeps a received file
 * in memory until every check passed, and handing checked bytes to the member's disk. Nothing
 * here looks inside the bytes.
 */
import type { FileSink, FileSource } from '@sotto/core';

/**
 * `blob` as the engine reads it. `onProgress` gets the bytes read so far in the current pass: the
 * engine reads the head once to sniff it, then the whole file per upload pass (a resumed upload
 * reads it again from the start).
 */
export function blobSource(blob: Blob, name: string, onProgress?: (bytes: number) => void): FileSource {
  return {
    name,
    size: blob.size,
    async *read() {
      const reader = blob.stream().getReader();
      let read = 0;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          read += value.byteLength;
          onProgress?.(read);
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  };
}

/** A file received into memory; `bytes()` only once it was committed (all of it checked). */
export interface MemorySink extends FileSink {
  bytes(): Uint8Array;
}

export function memorySink(): MemorySink {
  let parts: Uint8Array[] = [];
  let kept: Uint8Array | undefined;
  return {
    async write(chunk) {
      parts.push(chunk.slice());
    },
    async commit() {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let at = 0;
      for (const part of parts) {
        out.set(part, at);
        at += part.byteLength;
      }
      kept = out;
      parts = [];
    },
    async abort() {
      parts = [];
      kept = undefined;
    },
    bytes() {
      if (!kept) throw new Error('the file was not kept');
      return kept;
    },
  };
}

/**
 * Saves checked bytes to the member's disk under `fileName` (already sanitised by the engine). The
 * blob is typed as opaque bytes, so the browser downloads it and never renders it (no PDF, SVG or
 * HTML shown inline), whatever it is.
 */
export function saveToDisk(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL; it may go once the browser took it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
