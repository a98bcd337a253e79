/**
 * @module file-ports
 * Files on disk as the engine's `FileSource` and `FileSink`. A source reads the file afresh each
 * time (an upload that resumes reads it again). A sink writes into a hidden partial file beside
 * its target and renames it only when every byte has been checked, never over an existing file.
 * An abort leaves nothing behind.
 */
import { createReadStream } from 'node:fs';
import { link, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FileSink, FileSource } from '@sotto/core';

/** The file at `path`, read in 256 KiB chunks. */
export async function fileSource(path: string): Promise<FileSource> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  return {
    name: basename(path),
    size: info.size,
    async *read() {
      for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) yield new Uint8Array(chunk as Buffer);
    },
  };
}

/**
 * Gives `partial` its final name in `dir`: `name.ext`, else `name (2).ext`, `name (3).ext`... A hard
 * link fails on an existing name, so no file of the member's is ever replaced.
 */
async function keepAs(partial: string, dir: string, fileName: string): Promise<string> {
  const ext = extname(fileName);
  const stem = fileName.slice(0, fileName.length - ext.length);
  for (let n = 1; n < 1000; n++) {
    const candidate = join(dir, n === 1 ? fileName : `${stem} (${n})${ext}`);
    try {
      await link(partial, candidate);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    await rm(partial, { force: true });
    return candidate;
  }
  throw new Error(`no free name for the file in ${dir}`);
}

export interface DirectorySink extends FileSink {
  /** Where the file was kept, after `commit`. */
  readonly savedPath: string | undefined;
}

/** Saves into `dir` under the name the engine gives on commit (already sanitised). */
export function directorySink(dir: string): DirectorySink {
  const partial = join(dir, `.sotto-partial-${randomBytes(8).toString('hex')}`);
  let handle: FileHandle | undefined;
  let saved: string | undefined;
  return {
    get savedPath() {
      return saved;
    },
    async write(chunk) {
      handle ??= await open(partial, 'wx', 0o600);
      await handle.write(chunk);
    },
    async commit(fileName) {
      handle ??= await open(partial, 'wx', 0o600);
      await handle.sync();
      await handle.close();
      handle = undefined;
      saved = await keepAs(partial, dir, fileName);
    },
    async abort() {
      await handle?.close().catch(() => undefined);
      handle = undefined;
      await rm(partial, { force: true });
    },
  };
}
