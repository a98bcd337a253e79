import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, RemoteError } from '@sotto/core';
import { ErrorCode } from '@sotto/protocol';
import { errorText, linkErrorText } from './error-text.js';

test('engine errors are worded for the browser, not the command line', () => {
  const text = errorText(new ClientError('NOT_REGISTERED', 'This profile has no account yet. Run "sotto register" first.'));
  assert.equal(text, 'This browser has no Sotto account yet.');
  assert.doesNotMatch(errorText(new ClientError('NO_TURN', 'x')), /^x$/);
});

test("input errors keep the engine's plain sentence", () => {
  assert.equal(errorText(new ClientError('INVALID_INPUT', 'That is you.')), 'That is you.');
});

test('server errors a member can meet have their own sentence; others name the code, never internals', () => {
  assert.match(errorText(new RemoteError(ErrorCode.USERNAME_TAKEN)), /taken/);
  assert.equal(errorText(new RemoteError(ErrorCode.RATE_LIMITED, 'x', 4200)), 'Too many attempts. Try again in 5 s.');
  assert.equal(errorText(new RemoteError(ErrorCode.RATE_LIMITED)), 'Too many attempts. Wait a moment and try again.');
  assert.match(errorText(new RemoteError(ErrorCode.STALE_EPOCH)), /^The server refused that \(STALE_EPOCH\)\./);
});

test('an unexpected exception shows no raw text', () => {
  const text = errorText(new TypeError("Cannot read properties of undefined (reading 'state')"));
  assert.doesNotMatch(text, /undefined|state/);
  assert.match(text, /^Something went wrong\./);
  assert.equal(errorText('a string'), text);
});

test('linking errors: a used or expired code, too many devices, and a timeout each say what to do', () => {
  assert.match(errorText(new RemoteError(ErrorCode.LINK_INVALID)), /expired or already used/);
  assert.match(errorText(new RemoteError(ErrorCode.DEVICE_LIMIT)), /Remove one/);
  assert.match(errorText(new RemoteError(ErrorCode.STALE_DEVICE_LIST)), /Try again/);
  assert.match(linkErrorText(new ClientError('TIMEOUT', 'x'), 'new-device'), /did not finish linking in time/);
  assert.match(linkErrorText(new ClientError('TIMEOUT', 'x'), 'linking-device'), /code expired/);
  assert.match(linkErrorText(new RemoteError(ErrorCode.LINK_INVALID), 'new-device'), /expired or already used/);
});

test('file errors: a tampered or missing file, and the server\'s cap and quota, in the app\'s words', () => {
  assert.match(errorText(new ClientError('FILE_TAMPERED', 'x')), /not what its sender sent.*Nothing of it was kept or opened/);
  assert.match(errorText(new ClientError('FILE_UNAVAILABLE', 'x')), /no longer on the server/);
  assert.equal(errorText(new ClientError('UPLOAD_FAILED', 'The upload stopped; nothing was sent.')), 'The upload stopped; nothing was sent.');
  assert.match(errorText(new RemoteError(ErrorCode.FILE_TOO_LARGE)), /larger than this server accepts/);
  assert.match(errorText(new RemoteError(ErrorCode.QUOTA_EXCEEDED)), /used all the file storage/);
});
