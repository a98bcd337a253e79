import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLIENT_MIGRATIONS, migrateClientDb, ProfileRefusedError, type ClientMigration } from './migrate.js';
import { SqliteClientStore } from './sqlite-client-store.js';

interface MigrationRow {
  version: number;
  name: string;
  applied_at: number;
}

const recorded = (db: Database.Database): MigrationRow[] => db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as MigrationRow[];
const columnsOf = (db: Database.Database, table: string): string[] => db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[];
const tablesOf = (db: Database.Database): string[] => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];

/** Runs `body` with a fresh directory for profile files, removed afterwards. */
async function withProfileDir(body: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-migrate-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every migration's version, and the next free ones: the tests hold whatever migrations come later. */
const ALL = CLIENT_MIGRATIONS.map((m) => m.version);
const NEXT = Math.max(...ALL) + 1;

test('a fresh profile gets every migration, each recorded with its name and time', () => {
  const db = new Database(':memory:');
  const before = Date.now();
  assert.deepEqual(migrateClientDb(db), ALL);
  const rows = recorded(db);
  assert.deepEqual(
    rows.map((row) => [row.version, row.name]),
    CLIENT_MIGRATIONS.map((migration) => [migration.version, migration.name]),
  );
  for (const row of rows) assert.ok(row.applied_at >= before && row.applied_at <= Date.now(), `applied_at of ${row.version}`);
  assert.deepEqual(columnsOf(db, 'schema_migrations').sort(), ['applied_at', 'name', 'version']);
  assert.deepEqual(migrateClientDb(db), [], 'a second run applies nothing');
  db.close();
});

test('a profile from before applied_at was recorded is upgraded in place, and again harmlessly', () =>
  withProfileDir(async (dir) => {
    const path = join(dir, 'client.db');
    // The table and rows an earlier sotto wrote: version and name only, migrations 1-4 applied.
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    old.transaction(() => {
      for (const migration of CLIENT_MIGRATIONS) {
        old.exec(migration.up);
        old.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)').run(migration.version, migration.name);
      }
    })();
    old.prepare("INSERT INTO contacts (username, state, text, updated_at) VALUES ('bob', 1, 'hi', 5)").run();
    old.close();

    const store = new SqliteClientStore(path);
    await store.close();
    const db = new Database(path);
    assert.deepEqual(columnsOf(db, 'schema_migrations').sort(), ['applied_at', 'name', 'version']);
    // Their time was never written down: 0 says so.
    assert.deepEqual(
      recorded(db).map((row) => [row.version, row.applied_at]),
      ALL.map((version) => [version, 0]),
    );
    assert.equal((db.prepare("SELECT text FROM contacts WHERE username = 'bob'").get() as { text: string }).text, 'hi', 'data kept');
    assert.deepEqual(migrateClientDb(db), [], 'opening again changes nothing');
    assert.deepEqual(columnsOf(db, 'schema_migrations').sort(), ['applied_at', 'name', 'version']);
    // A migration added later is recorded with its time beside the old rows.
    const next: ClientMigration = { version: NEXT, name: 'later', up: 'CREATE TABLE later (x INTEGER);' };
    assert.deepEqual(migrateClientDb(db, [...CLIENT_MIGRATIONS, next]), [NEXT]);
    assert.ok(recorded(db)[ALL.length]!.applied_at > 0);
    db.close();
  }));

test('a profile written by a newer sotto is refused and left untouched', () =>
  withProfileDir((dir) => {
    const path = join(dir, 'client.db');
    const newer = new Database(path);
    migrateClientDb(newer, [...CLIENT_MIGRATIONS, { version: NEXT + 2, name: 'from-the-future', up: 'CREATE TABLE future (x INTEGER);' }]);
    newer.close();
    const bytes = readFileSync(path);

    assert.throws(
      () => new SqliteClientStore(path),
      (error: unknown) =>
        error instanceof ProfileRefusedError &&
        error.code === 'PROFILE_TOO_NEW' &&
        error.newestVersion === NEXT + 2 &&
        error.message === `This profile was written by a newer sotto (migration ${NEXT + 2}); update sotto. Nothing was changed.`,
    );
    assert.deepEqual(readFileSync(path), bytes, 'not a byte changed');
    const db = new Database(path, { readonly: true });
    assert.throws(() => migrateClientDb(db), ProfileRefusedError, 'the runner refuses it on its own too');
    assert.deepEqual(
      recorded(db).map((row) => row.version),
      [...ALL, NEXT + 2],
    );
    db.close();
  }));

test('a failing migration is rolled back whole; the ones before it stay applied', () => {
  const db = new Database(':memory:');
  const broken: ClientMigration = { version: NEXT, name: 'broken', up: 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);' };
  const after: ClientMigration = { version: NEXT + 1, name: 'after', up: 'CREATE TABLE after_broken (x INTEGER);' };
  assert.throws(() => migrateClientDb(db, [...CLIENT_MIGRATIONS, broken, after]), /no such table: nowhere/);
  assert.deepEqual(
    recorded(db).map((row) => row.version),
    ALL,
  );
  const tables = tablesOf(db);
  assert.ok(!tables.includes('half'), 'the failed migration left nothing');
  assert.ok(!tables.includes('after_broken'), 'nothing after it ran');
  assert.ok(tables.includes('contacts'));
  // Fixed, it applies on the next run.
  assert.deepEqual(migrateClientDb(db, [...CLIENT_MIGRATIONS, { ...broken, up: 'CREATE TABLE half (x INTEGER);' }, after]), [NEXT, NEXT + 1]);
  db.close();
});
