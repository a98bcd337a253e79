/** @module config.test Defaults and start-up validation of the server settings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, parseDecimalDigits, resolveConfig, sfuEndpoints } from './config.js';
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

test('whole-number settings refuse fractions, non-numbers and values out of range, showing the value', () => {
  const bad: [object, RegExp][] = [
    [{ port: -1 }, /^port must be a whole number from 0 to 65535, not -1\.$/],
    [{ port: Number.NaN }, /^port .* not NaN\.$/],
    [{ port: '8080' }, /^port .* not "8080"\.$/],
    [{ retentionDays: 0.5 }, /^retentionDays must be a whole number of days from 1 to 36500, not 0\.5\.$/],
    [{ retentionDays: 1e20 }, /^retentionDays .* not 100000000000000000000\.$/],
    [{ ringsPerMinute: 0 }, /^ringsPerMinute must be a whole number from 1/],
    [{ freshAccountHours: 1.5 }, /^freshAccountHours must be a whole number of hours from 0 to 87600/],
    [{ turnTtlSeconds: 59 }, /^turnTtlSeconds must be a whole number of seconds from 60 to 86400, not 59\.$/],
    [{ turnTtlSeconds: 86_401 }, /^turnTtlSeconds/],
  ];
  for (const [input, message] of bad) {
    assert.throws(() => resolveConfig({ dataDir: 'd', ...input } as never), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(input));
  }
  const edges = resolveConfig({ dataDir: 'd', port: 65_535, retentionDays: 1, freshAccountHours: 0, turnTtlSeconds: 60 });
  assert.deepEqual([edges.port, edges.retentionDays, edges.freshAccountHours, edges.turnTtlSeconds], [65_535, 1, 0, 60]);
});

test('messages name each setting as the caller spells it, and fall back to the config key', () => {
  const names = { port: '--port', syncMode: '--sync', turnUrls: '--turn-url', turnSecret: '--turn-secret-file', dataDir: '--data', db: 'SOTTO_DB' };
  const cases: [object, string][] = [
    [{ port: 70_000 }, '--port must be a whole number from 0 to 65535, not 70000.'],
    [{ syncMode: 'off' }, '--sync must be FULL or NORMAL, not "off".'],
    [{ turnUrls: ['turn:t.example.org'] }, '--turn-secret-file is required with --turn-url: the secret shared with the TURN server, at least 16 characters.'],
    [{ db: 'mysql://u:secret@h/x' }, 'SOTTO_DB must be a postgres:// or postgresql:// URL; leave it out to use SQLite in --data.'],
    [{ logLevel: 'loud' }, 'logLevel must be one of fatal, error, warn, info, debug, trace, silent, not "loud".'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => resolveConfig({ dataDir: 'd', ...input } as never, names), (error: unknown) => error instanceof ConfigError && error.message === message, message);
  }
});

test('several SFUs: comma-separated, each with its public URL in the same order, or its own URL', () => {
  const two = resolveConfig({ dataDir: 'd', sfuUrl: 'ws://10.0.0.1:8188, ws://10.0.0.2:8188', sfuSecret: 's'.repeat(16), sfuPublicUrl: 'wss://a.example.org/janus,wss://b.example.org/janus' });
  assert.deepEqual(sfuEndpoints(two), [
    { url: 'ws://10.0.0.1:8188', publicUrl: 'wss://a.example.org/janus' },
    { url: 'ws://10.0.0.2:8188', publicUrl: 'wss://b.example.org/janus' },
  ]);
  assert.deepEqual(sfuEndpoints(resolveConfig({ dataDir: 'd', sfuUrl: 'ws://127.0.0.1:8188', sfuSecret: 's'.repeat(16) })), [{ url: 'ws://127.0.0.1:8188', publicUrl: 'ws://127.0.0.1:8188' }]);
  assert.deepEqual(sfuEndpoints(resolveConfig({ dataDir: 'd' })), []);
});

test('parseDecimalDigits reads decimal digits only, where Number() would read anything', () => {
  assert.equal(parseDecimalDigits('8080'), 8080);
  assert.equal(parseDecimalDigits('0'), 0);
  assert.equal(parseDecimalDigits('007'), 7);
  for (const text of ['', ' ', '0x1f90', '1e3', ' 80', '80 ', '8080.0', '-1', '+1', '1_000', 'Infinity', '٣']) {
    assert.equal(parseDecimalDigits(text), undefined, JSON.stringify(text));
  }
});

test('an SFU is a ws:// or wss:// URL with its secret; without one there is none', () => {
  assert.equal(resolveConfig({ dataDir: 'd' }).sfuUrl, undefined);
  const config = resolveConfig({ dataDir: 'd', sfuUrl: 'ws://127.0.0.1:8188', sfuSecret: 's'.repeat(16) });
  assert.deepEqual([config.sfuUrl, config.sfuSecret], ['ws://127.0.0.1:8188', 's'.repeat(16)]);
  assert.equal(resolveConfig({ dataDir: 'd', sfuUrl: 'wss://sfu.example.org/janus', sfuSecret: 's'.repeat(40) }).sfuUrl, 'wss://sfu.example.org/janus');
  const withPublic = resolveConfig({ dataDir: 'd', sfuUrl: 'ws://127.0.0.1:8188', sfuSecret: 's'.repeat(16), sfuPublicUrl: 'wss://chat.example.org/janus' });
  assert.equal(withPublic.sfuPublicUrl, 'wss://chat.example.org/janus');
  const names = { sfuUrl: '--sfu', sfuSecret: '--sfu-secret-file (or SOTTO_SFU_SECRET)', sfuPublicUrl: '--sfu-public-url' };
  const cases: [object, string][] = [
    [{ sfuUrl: 'http://127.0.0.1:8188', sfuSecret: 's'.repeat(16) }, "--sfu must be the ws:// or wss:// URL of the SFU's WebSocket API (Janus), e.g. ws://127.0.0.1:8188, or several, comma-separated; leave it out for no group calls."],
    [{ sfuUrl: 'ws://', sfuSecret: 's'.repeat(16) }, "--sfu must be the ws:// or wss:// URL of the SFU's WebSocket API (Janus), e.g. ws://127.0.0.1:8188, or several, comma-separated; leave it out for no group calls."],
    [{ sfuUrl: 'ws://a b', sfuSecret: 's'.repeat(16) }, "--sfu must be the ws:// or wss:// URL of the SFU's WebSocket API (Janus), e.g. ws://127.0.0.1:8188, or several, comma-separated; leave it out for no group calls."],
    [{ sfuUrl: 'ws://127.0.0.1:8188' }, '--sfu-secret-file (or SOTTO_SFU_SECRET) is required with --sfu: the secret shared with the SFU (Janus api_secret), at least 16 characters.'],
    [{ sfuUrl: 'ws://127.0.0.1:8188', sfuSecret: 'short' }, '--sfu-secret-file (or SOTTO_SFU_SECRET) is required with --sfu: the secret shared with the SFU (Janus api_secret), at least 16 characters.'],
    [{ sfuSecret: 's'.repeat(16) }, '--sfu-secret-file (or SOTTO_SFU_SECRET) was given without --sfu: say where the SFU is, or leave out its secret.'],
    [{ sfuUrl: 'ws://127.0.0.1:8188', sfuSecret: 's'.repeat(16), sfuPublicUrl: 'https://chat.example.org/janus' }, '--sfu-public-url must be the ws:// or wss:// URL members reach the SFU at (with --sfu), e.g. wss://chat.example.org/janus.'],
    [{ sfuPublicUrl: 'wss://chat.example.org/janus' }, '--sfu-public-url must be the ws:// or wss:// URL members reach the SFU at (with --sfu), e.g. wss://chat.example.org/janus.'],
    [{ sfuUrl: 'ws://a:1,http://b:2', sfuSecret: 's'.repeat(16) }, `--sfu must be the ws:// or wss:// URL of the SFU's WebSocket API (Janus), e.g. ws://127.0.0.1:8188, or several, comma-separated; leave it out for no group calls.`],
    [{ sfuUrl: 'ws://a:1,', sfuSecret: 's'.repeat(16) }, `--sfu must be the ws:// or wss:// URL of the SFU's WebSocket API (Janus), e.g. ws://127.0.0.1:8188, or several, comma-separated; leave it out for no group calls.`],
    [{ sfuUrl: Array.from({ length: 9 }, (_, i) => `ws://s${i}:8188`).join(','), sfuSecret: 's'.repeat(16) }, '--sfu names more than 8 SFUs.'],
    [{ sfuUrl: 'ws://a:1, ws://a:1', sfuSecret: 's'.repeat(16) }, '--sfu names the same SFU twice.'],
    [{ sfuUrl: 'ws://a:1,ws://b:2', sfuSecret: 's'.repeat(16), sfuPublicUrl: 'wss://a.example.org/janus' }, '--sfu-public-url must name one public URL for each SFU in --sfu, in the same order.'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => resolveConfig({ dataDir: 'd', ...input } as never, names), (error: unknown) => error instanceof ConfigError && error.message === message, message);
  }
});

test('several SFUs: comma-separated, each with its public URL in the same order, or its own URL', () => {
  const two = resolveConfig({ dataDir: 'd', sfuUrl: 'ws://10.0.0.1:8188, ws://10.0.0.2:8188', sfuSecret: 's'.repeat(16), sfuPublicUrl: 'wss://a.example.org/janus,wss://b.example.org/janus' });
  assert.deepEqual(sfuEndpoints(two), [
    { url: 'ws://10.0.0.1:8188', publicUrl: 'wss://a.example.org/janus' },
    { url: 'ws://10.0.0.2:8188', publicUrl: 'wss://b.example.org/janus' },
  ]);
  assert.deepEqual(sfuEndpoints(resolveConfig({ dataDir: 'd', sfuUrl: 'ws://127.0.0.1:8188', sfuSecret: 's'.repeat(16) })), [{ url: 'ws://127.0.0.1:8188', publicUrl: 'ws://127.0.0.1:8188' }]);
  assert.deepEqual(sfuEndpoints(resolveConfig({ dataDir: 'd' })), []);
});
