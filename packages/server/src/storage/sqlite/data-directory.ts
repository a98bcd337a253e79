/**
 * @module storage/sqlite/data-directory
 * Makes the data directory (owner-only) and checks it can hold a SQLite database, failing at
 * once with the path and the cause. Node's own recursive mkdir is not used: under /proc, or
 * below a link to nothing, the kernel answers ENOENT for the child and EEXIST for its parent,
 * and Node 20's loop retries the pair for ever, hanging start-up with no word.
 */
import { accessSync, constants, existsSync, lstatSync, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../store.js';

/** Owner-only: the directory holds every undelivered (encrypted) message and the account list. */
const DIRECTORY_MODE = 0o700;

/**
 * Linux filesystems that hold no ordinary files (statfs f_type, from linux/magic.h). A data
 * directory on one of them is refused by name rather than by a puzzling SQLite failure.
 */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x6e736673, 'nsfs'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
]);

/** Creates `dir` (and missing parents) when needed, and checks the server can make files in it. */
export function prepareDataDirectory(dir: string): void {
  makeDirectory(resolve(dir), dir);
  refusePseudoFilesystem(dir, dir);
  try {
    // SQLite creates sotto.db, sotto.db-wal and sotto.db-shm here.
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new ConfigError(`Cannot use the data directory ${dir}: ${describeFsError(error, 'the server cannot create files in it')}.`);
  }
}

/**
 * For commands that must not create it (`sotto admin`): refuses a file, or a link to nothing,
 * in place of the directory. A plain missing directory is left to the caller to explain.
 */
export function requireDataDirectory(dir: string): void {
  if (!existsSync(dir) && !isLink(dir)) return;
  requireDirectory(resolve(dir), dir);
}

function makeDirectory(path: string, shown: string): void {
  try {
    mkdirSync(path, { mode: DIRECTORY_MODE });
    return;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return requireDirectory(path, shown);
    if (code !== 'ENOENT') throw cannotCreate(shown, path, error);
  }
  const parent = dirname(path);
  if (parent === path) throw new ConfigError(`Cannot create the data directory ${shown}: its root ${path} does not exist.`);
  makeDirectory(parent, shown);
  try {
    mkdirSync(path, { mode: DIRECTORY_MODE });
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return requireDirectory(path, shown);
    // The parent exists now, so a second ENOENT is final: its filesystem makes no directories.
    refusePseudoFilesystem(parent, shown);
    throw cannotCreate(shown, path, error);
  }
}

function requireDirectory(path: string, shown: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      throw new ConfigError(`Cannot use the data directory ${shown}: ${path} ${isLink(path) ? 'is a link to something that does not exist' : 'does not exist'}.`);
    }
    throw new ConfigError(`Cannot use the data directory ${shown}: ${describeFsError(error, `cannot look at ${path}`)}.`);
  }
  if (!isDirectory) {
    const what = path === resolve(shown) ? shown : path;
    throw new ConfigError(`Cannot use the data directory ${shown}: ${what} is a file, not a directory.`);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function refusePseudoFilesystem(path: string, shown: string): void {
  if (process.platform !== 'linux') return;
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch {
    return; // The checks that follow name whatever is wrong with the path.
  }
  const name = PSEUDO_FILESYSTEMS.get(type);
  if (name !== undefined) {
    throw new ConfigError(`Cannot use the data directory ${shown}: ${path} is on a ${name} filesystem, which holds no ordinary files; choose a directory on a disk.`);
  }
}

function cannotCreate(shown: string, path: string, error: unknown): ConfigError {
  const where = path === resolve(shown) ? '' : ` (at ${path})`;
  return new ConfigError(`Cannot create the data directory ${shown}${where}: ${describeFsError(error, 'the filesystem refused')}.`);
}

/** A filesystem error in words an operator can act on, with its errno code. */
export function describeFsError(error: unknown, fallback: string): string {
  const code = errorCode(error);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code}) for the server's user${uidNote()}`;
    case 'EROFS':
      return 'it is on a read-only filesystem (EROFS)';
    case 'ENOTDIR':
      return 'part of the path is a file, not a directory (ENOTDIR)';
    case 'ENOSPC':
      return 'the disk is full (ENOSPC)';
    case 'ENOENT':
      return `${fallback} (ENOENT)`;
    case undefined:
      return error instanceof Error ? error.message : String(error);
    default:
      return `${fallback} (${code})`;
  }
}

function uidNote(): string {
  const uid = process.getuid?.();
  return uid === undefined ? '' : ` (uid ${uid})`;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
