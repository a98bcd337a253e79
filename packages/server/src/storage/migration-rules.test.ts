/** @module storage/migration-rules.test Which databases may be migrated: Sotto's or empty ones, never another program's or a newer Sotto's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseRefusedError } from '../errors.js';
import { isMigrationTable, refuseUnusableDatabase, type DatabaseContents } from './migration-rules.js';

const KNOWN = [
  { version: 1, name: 'initial' },
  { version: 2, name: 'group-creator' },
  { version: 3, name: 'defences' },
];

const refusal = (contents: DatabaseContents): DatabaseRefusedError | undefined => {
  try {
    refuseUnusableDatabase(contents, KNOWN);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof DatabaseRefusedError, String(error));
    return error;
  }
};

test('an empty database, or one with only an empty migration table, is new', () => {
  assert.equal(refusal({ tables: [], hasMigrationTable: false, recorded: [] }), undefined);
  assert.equal(refusal({ tables: ['schema_migrations'], hasMigrationTable: true, recorded: [] }), undefined);
});

test("Sotto's own databases pass, at any known version", () => {
  assert.equal(refusal({ tables: ['schema_migrations', 'accounts'], hasMigrationTable: true, recorded: [KNOWN[0]!] }), undefined);
  assert.equal(refusal({ tables: ['schema_migrations', 'accounts', 'audit_log'], hasMigrationTable: true, recorded: KNOWN }), undefined);
});

test("another program's tables are refused as foreign, counting them", () => {
  const noRecord = refusal({ tables: ['notes', 'tags'], hasMigrationTable: false, recorded: [] });
  assert.equal(noRecord?.problem, 'foreign');
  assert.match(noRecord!.message, /^the database is not a Sotto database: it holds 2 tables and no record of Sotto's migrations\. Nothing was changed/);
  // Rails keeps a schema_migrations table too, with other columns: the backend reports it as no migration table.
  assert.equal(refusal({ tables: ['schema_migrations', 'users'], hasMigrationTable: false, recorded: [] })?.problem, 'foreign');
  assert.equal(refusal({ tables: ['schema_migrations', 'users'], hasMigrationTable: true, recorded: [] })?.problem, 'foreign');
  const otherFirst = refusal({ tables: ['schema_migrations', 'users'], hasMigrationTable: true, recorded: [{ version: 1, name: 'create-users' }] });
  assert.equal(otherFirst?.problem, 'foreign');
  assert.match(otherFirst!.message, /its migration 1 is "create-users", where Sotto's is "initial"/);
});

test('a migration this server does not know is refused as newer, naming the newest one and what the server knows', () => {
  const newer = refusal({ tables: ['schema_migrations', 'accounts'], hasMigrationTable: true, recorded: [...KNOWN, { version: 4, name: 'four' }, { version: 5, name: 'five' }] });
  assert.equal(newer?.problem, 'newer');
  assert.equal(
    newer!.message,
    'the database was written by a newer Sotto: it records migration 5 ("five"), and this server knows migrations up to 3. ' +
      'This server is older than the database: run the newer Sotto (or restore a backup made before the upgrade). Nothing was changed.',
  );
  assert.equal(newer!.at('/srv/sotto.db').message.startsWith('/srv/sotto.db was written by a newer Sotto'), true);
});

test("the migration table is recognised by exactly Sotto's columns, in any order", () => {
  assert.equal(isMigrationTable(['version', 'name', 'applied_at']), true);
  assert.equal(isMigrationTable(['applied_at', 'version', 'name']), true);
  assert.equal(isMigrationTable(['version']), false);
  assert.equal(isMigrationTable(['version', 'name', 'applied_at', 'checksum']), false);
});
