/** @module commands/serve-push-settings.test The Web Push flags: each turned into the server's setting, each bad value a usage error naming the flag. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { ClientError } from '@sotto/core';
import { BASE_SERVE_OPTIONS } from './serve-options.fixture.js';
import { serveSettings, type ServeOptions } from './serve-settings.js';

const BASE: ServeOptions = { ...BASE_SERVE_OPTIONS, push: true, pushAllowLoopback: false };

const settings = (extra: Partial<ServeOptions>) => serveSettings({ ...BASE, ...extra }, new Command(), {}).config;
const usage = (extra: Partial<ServeOptions>, message: RegExp) =>
  assert.throws(() => settings(extra), (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT' && message.test(error.message));

test('push is on by default with the vendors\' push services; the flags set subject, hosts, loopback and off', () => {
  const plain = settings({});
  assert.equal(plain.push, true);
  assert.equal(plain.pushSubject, undefined);
  assert.ok(plain.pushEndpoints.includes('fcm.googleapis.com'));
  assert.equal(plain.pushAllowLoopback, false);
  const config = settings({ pushSubject: 'mailto:ops@example.org', pushEndpoints: 'push.example.org, *.Push.Example.NET', pushAllowLoopback: true, push: false });
  assert.equal(config.pushSubject, 'mailto:ops@example.org');
  assert.deepEqual(config.pushEndpoints, ['push.example.org', '*.push.example.net']);
  assert.equal(config.pushAllowLoopback, true);
  assert.equal(config.push, false);
});

test('a bad push subject or host list is a usage error naming the flag', () => {
  usage({ pushSubject: 'ops@example.org' }, /^--push-subject must be a mailto: or https: URL/);
  usage({ pushSubject: 'http://example.org' }, /^--push-subject must be a mailto: or https: URL/);
  usage({ pushEndpoints: 'https://fcm.googleapis.com' }, /^--push-endpoints must be host names of push services/);
  usage({ pushEndpoints: '' }, /^--push-endpoints must be host names of push services/);
  usage({ pushEndpoints: 'fcm.googleapis.com,*' }, /^--push-endpoints must be host names of push services/);
});
