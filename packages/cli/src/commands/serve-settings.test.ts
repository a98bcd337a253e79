/** @module commands/serve-settings.test The file-limit flags: mebibytes in range, turned into the server's bytes, each bad value a usage error naming the flag. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { ClientError } from '@sotto/core';
import { serveSettings, type ServeOptions } from './serve-settings.js';

const BASE: ServeOptions = {
  host: '127.0.0.1',
  port: '8080',
  data: '/tmp/sotto-settings-test',
  inviteOnly: false,
  retentionDays: '30',
  logLevel: 'info',
  sync: 'FULL',
  rateLimit: '200',
  ringsPerMinute: '6',
  rateLimits: true,
  trustProxy: false,
  freshAccountHours: '48',
  turnTtl: '3600',
  maxConnectionsPerAddress: '256',
};

const settings = (extra: Partial<ServeOptions>) => serveSettings({ ...BASE, ...extra }, new Command(), {}).config;
const usage = (extra: Partial<ServeOptions>, message: string) =>
  assert.throws(() => settings(extra), (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT' && error.message === message);

test('--max-file-mb and --file-quota-mb are mebibytes, given to the server in bytes; left out, the defaults hold', () => {
  assert.equal(settings({}).maxFileBytes, 100 * 1024 * 1024);
  assert.equal(settings({}).fileQuotaBytes, 1024 * 1024 * 1024);
  const config = settings({ maxFileMb: '4096', fileQuotaMb: '1' });
  assert.equal(config.maxFileBytes, 4 * 1024 * 1024 * 1024);
  assert.equal(config.fileQuotaBytes, 1024 * 1024);
});

test('a bad file limit is a usage error naming the flag', () => {
  usage({ maxFileMb: '0' }, '--max-file-mb must be a whole number from 1 to 4096, not 0.');
  usage({ maxFileMb: '4097' }, '--max-file-mb must be a whole number from 1 to 4096, not 4097.');
  usage({ maxFileMb: '1.5' }, '--max-file-mb takes a whole number in decimal digits, not "1.5".');
  usage({ fileQuotaMb: '0' }, '--file-quota-mb must be a whole number from 1 to 1048576, not 0.');
  usage({ fileQuotaMb: '' }, '--file-quota-mb takes a whole number in decimal digits, not "".');
});
