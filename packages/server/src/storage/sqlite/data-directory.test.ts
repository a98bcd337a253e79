/** @module storage/sqlite/data-directory.test The data directory: made owner-only, or refused at once with the path and the cause. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { describeFsError, prepareDataDirectory, requireDataDirectory } from './data-directory.js';

const root = mkdtempSync(join(tmpdir(), 'sotto-data-dir-'));
after(() => rmSync(root, { recursive: true, force: true }));

const refused = (run: () => void, message: RegExp) => assert.throws(run, (error: unknown) => error instanceof ConfigError && message.test(error.message));

test('missing directories are made, parents too, owner-only; an existing one is kept', () => {
  const dir = join(root, 'a', 'b', 'c');
  prepareDataDirectory(dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(root, 'a')).mode & 0o777, 0o700);
  prepareDataDirectory(dir);
});

test('a file in place of the directory, or of a parent, is named as a file', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, '');
  refused(() => prepareDataDirectory(file), new RegExp(`^Cannot use the data directory ${file}: ${file} is a file, not a directory\\.$`));
  refused(() => prepareDataDirectory(join(file, 'below')), /part of the path is a file, not a directory \(ENOTDIR\)/);
  refused(() => requireDataDirectory(file), /is a file, not a directory/);
});

test('a link to nothing, as the directory or a parent, is named as such', () => {
  const dangling = join(root, 'dangling');
  symlinkSync(join(root, 'no-such-target'), dangling);
  refused(() => prepareDataDirectory(join(dangling, 'data')), new RegExp(`${dangling} is a link to something that does not exist`));
  refused(() => requireDataDirectory(dangling), /is a link to something that does not exist/);
  assert.equal(existsSync(join(root, 'no-such-target')), false, 'nothing was made at the target');
});

test('a plain missing directory is left to sotto admin to explain', () => {
  requireDataDirectory(join(root, 'never-made'));
  assert.equal(existsSync(join(root, 'never-made')), false);
});

test('a directory on /proc is refused at once, naming the filesystem (Node 20 mkdir -p loops for ever there)', { skip: existsSync('/proc/self') ? false : 'no /proc' }, () => {
  refused(() => prepareDataDirectory('/proc/self/sotto-data'), /\/proc\/self is on a proc filesystem/);
  refused(() => prepareDataDirectory('/proc/self'), /\/proc\/self is on a proc filesystem/);
});

test('filesystem errors are put in words with their errno', () => {
  const failure = (code: string) => Object.assign(new Error(code), { code });
  assert.match(describeFsError(failure('EACCES'), 'x'), /^permission denied \(EACCES\) for the server's user/);
  assert.equal(describeFsError(failure('EROFS'), 'x'), 'it is on a read-only filesystem (EROFS)');
  assert.equal(describeFsError(failure('ENOSPC'), 'x'), 'the disk is full (ENOSPC)');
  assert.equal(describeFsError(failure('ELOOP'), 'the filesystem refused'), 'the filesystem refused (ELOOP)');
  assert.equal(describeFsError(new Error('plain'), 'x'), 'plain');
});
