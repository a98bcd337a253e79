/** @module config.test Defaults and start-up validation of the server settings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, resolveConfig } from './config.js';
import { ConfigError } from './errors.js';

test('defaults fill what is not given; undefined does not hide a default', () => {
  const config = resolveConfig({ dataDir: '/tmp/x', port: undefined });
  assert.deepEqual(config, { ...DEFAULT_CONFIG, dataDir: '/tmp/x' });
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.equal(config.retentionDays, 30);
  assert.equal(resolveConfig({ dataDir: 'd', port: 0 }).port, 0);
});

test('bad values fail with a message naming the setting', () => {
  const bad: [object, RegExp][] = [
    [{ dataDir: '' }, /dataDir/],
    [{ dataDir: 'd', port: 70_000 }, /port/],
    [{ dataDir: 'd', port: 1.5 }, /port/],
    [{ dataDir: 'd', retentionDays: 0 }, /retentionDays/],
    [{ dataDir: 'd', logLevel: 'loud' }, /logLevel/],
    [{ dataDir: 'd', syncMode: 'OFF' }, /syncMode/],
    [{ dataDir: 'd', db: 'mysql://u:secret@h/x' }, /^db must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ dataDir: 'd', db: '' }, /^db must/],
  ];
  for (const [input, message] of bad) {
    assert.throws(() => resolveConfig(input as never), (error: unknown) => error instanceof ConfigError && message.test(error.message));
  }
});

test('db selects PostgreSQL when it is a postgres:// or postgresql:// URL', () => {
  assert.equal(resolveConfig({ dataDir: 'd' }).db, undefined);
  assert.equal(resolveConfig({ dataDir: 'd', db: 'postgres://u@h/x' }).db, 'postgres://u@h/x');
  assert.equal(resolveConfig({ dataDir: 'd', db: 'postgresql://u@h:5433/x?schema=s' }).db, 'postgresql://u@h:5433/x?schema=s');
  assert.throws(() => resolveConfig({ dataDir: 'd', db: 'mysql://u:secret@h/x' }), (error: unknown) => error instanceof ConfigError && !error.message.includes('secret'));
});
