import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPlainText, isValidUsername } from './limits.js';
import { compareVersions } from './versions.js';

test('usernames are lower-case, bounded and restricted', () => {
  for (const ok of ['alice', 'bob_2', 'c.d-e']) assert.ok(isValidUsername(ok), ok);
  for (const bad of ['', 'ab', 'Alice', 'a'.repeat(33), 'al ice', 'аlice', '-x-', 'a/b']) {
    assert.equal(isValidUsername(bad), bad === '-x-' ? false : false, bad);
  }
});

test('plain text refuses controls, bidi overrides, lone surrogates and overlong text', () => {
  assert.ok(isPlainText('hello\nworld 👋', 280));
  assert.ok(isPlainText('é'.repeat(280), 280));
  assert.ok(!isPlainText('é'.repeat(281), 280));
  assert.ok(!isPlainText('bell\u0007', 280));
  assert.ok(!isPlainText('evil\u202Etxt.exe', 280));
  assert.ok(!isPlainText('\uD800', 280));
});

test('versions compare numerically; garbage sorts lowest', () => {
  assert.ok(compareVersions('0.10.0', '0.9.9') > 0);
  assert.equal(compareVersions('1.2.3', '1.2.3'), 0);
  assert.ok(compareVersions('nonsense', '0.0.1') < 0);
});
