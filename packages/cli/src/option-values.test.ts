/** @module option-values.test Strict command-line values: whole numbers, the server URL, empty environment variables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError } from '@sotto/core';
import { environment, serverUrl, wholeNumber } from './option-values.js';

const usage = (run: () => unknown, message: string | RegExp) =>
  assert.throws(run, (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT' && (typeof message === 'string' ? error.message === message : message.test(error.message)));

test('wholeNumber takes decimal digits in range, and names the flag and the value when it refuses', () => {
  assert.equal(wholeNumber('7', '--days'), 7);
  assert.equal(wholeNumber('3650', '--days', { min: 1, max: 3650 }), 3650);
  usage(() => wholeNumber('0x1f90', '--port'), '--port takes a whole number in decimal digits, not "0x1f90".');
  usage(() => wholeNumber('', 'SOTTO_PORT'), 'SOTTO_PORT takes a whole number in decimal digits, not "".');
  usage(() => wholeNumber('1e3', '--days'), /^--days takes a whole number/);
  usage(() => wholeNumber('-1', '--limit'), /^--limit takes a whole number/);
  usage(() => wholeNumber('0', '--days', { min: 1, max: 3650 }), '--days must be a whole number from 1 to 3650, not 0.');
  usage(() => wholeNumber('99999999999', '--days', { min: 1, max: 3650 }), /^--days must be a whole number from 1 to 3650/);
});

test('serverUrl takes http(s) and ws(s) URLs with a host, and keeps ws(s) as the same server over http(s)', () => {
  assert.equal(serverUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  assert.equal(serverUrl('https://chat.example.org'), 'https://chat.example.org');
  assert.equal(serverUrl('ws://127.0.0.1:8080'), 'http://127.0.0.1:8080/');
  assert.equal(serverUrl('wss://chat.example.org/'), 'https://chat.example.org/');
  assert.equal(serverUrl('http://[::1]:8080'), 'http://[::1]:8080');
});

test('serverUrl refuses other schemes, non-URLs and credentials, before any name is looked up', () => {
  usage(() => serverUrl('ftp://x'), '--server must be an http://, https://, ws:// or wss:// URL, not "ftp://x".');
  usage(() => serverUrl('file:///etc/passwd'), /must be an http:\/\//);
  usage(() => serverUrl('javascript:alert(1)'), /must be an http:\/\//);
  usage(() => serverUrl('not-a-url'), '--server takes the server\'s URL, such as http://127.0.0.1:8080, not "not-a-url".');
  usage(() => serverUrl('127.0.0.1:8080'), /must be an http:\/\/|takes the server's URL/);
  usage(() => serverUrl('http://'), /takes the server's URL/);
  assert.throws(
    () => serverUrl('https://alice:hunter2@chat.example.org'),
    (error: unknown) => error instanceof ClientError && /must not carry a user name or password/.test(error.message) && !error.message.includes('hunter2'),
  );
});

test('an environment variable set but empty counts as unset', () => {
  const name = 'SOTTO_OPTION_VALUES_TEST';
  process.env[name] = '';
  assert.equal(environment(name), undefined);
  process.env[name] = '9000';
  assert.equal(environment(name), '9000');
  delete process.env[name];
  assert.equal(environment(name), undefined);
});
