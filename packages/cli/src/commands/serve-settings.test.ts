/** @module commands/serve-settings.test The file-limit and SFU flags: each turned into the server's setting, each bad value a usage error naming the flag. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ClientError } from '@sotto/core';
import { ConfigError } from '@sotto/server/config';
import { BASE_SERVE_OPTIONS } from './serve-options.fixture.js';
import { serveSettings, type ServeOptions } from './serve-settings.js';

const BASE: ServeOptions = BASE_SERVE_OPTIONS;

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

test('--sfu and --sfu-secret-file give the server its SFU; left out, there is none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-sfu-settings-'));
  try {
    const file = join(dir, 'sfu-secret');
    writeFileSync(file, `${'k'.repeat(32)}\n`);
    const config = settings({ sfu: 'ws://127.0.0.1:8188', sfuSecretFile: file });
    assert.deepEqual([config.sfuUrl, config.sfuSecret], ['ws://127.0.0.1:8188', 'k'.repeat(32)]);
    assert.equal(settings({}).sfuUrl, undefined);
    usage({ sfu: 'http://127.0.0.1:8188', sfuSecretFile: file }, "--sfu must be the ws:// or wss:// URL of the SFU's WebSocket API (Janus), e.g. ws://127.0.0.1:8188, or several, comma-separated; leave it out for no group calls.");
    usage({ sfu: 'ws://127.0.0.1:8188' }, '--sfu-secret-file (or SOTTO_SFU_SECRET) is required with --sfu: the secret shared with the SFU (Janus api_secret), at least 16 characters.');
    usage({ sfuSecretFile: file }, '--sfu-secret-file (or SOTTO_SFU_SECRET) was given without --sfu: say where the SFU is, or leave out its secret.');
    assert.throws(() => settings({ sfu: 'ws://127.0.0.1:8188', sfuSecretFile: join(dir, 'missing') }), (error: unknown) => error instanceof ConfigError && error.message === `Cannot read --sfu-secret-file ${join(dir, 'missing')}: there is no such file.`);
    assert.throws(() => settings({ sfu: 'ws://127.0.0.1:8188', sfuSecretFile: dir }), (error: unknown) => error instanceof ConfigError && /^Cannot read --sfu-secret-file .*: it is a directory\.$/.test(error.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
