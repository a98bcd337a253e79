/** @module gateway/origin-check.test Which pages may open the WebSocket: none but the server's own, by host and port. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { askedHost, isOwnOrigin } from './origin-check.js';

test('no Origin (the CLI, the SDK) is accepted; a page of the same host and port is, over http or https', () => {
  assert.equal(isOwnOrigin(undefined, '127.0.0.1:8080'), true);
  assert.equal(isOwnOrigin('http://127.0.0.1:8080', '127.0.0.1:8080'), true);
  assert.equal(isOwnOrigin('https://127.0.0.1:8080', '127.0.0.1:8080'), true);
  assert.equal(isOwnOrigin('https://Chat.Example.org', 'chat.example.org'), true, 'host names compare case-insensitively');
  assert.equal(isOwnOrigin('http://chat.example.org', 'chat.example.org'), true);
  assert.equal(isOwnOrigin('https://chat.example.org', 'chat.example.org:443'), true);
  assert.equal(isOwnOrigin('http://chat.example.org', 'chat.example.org:80'), true);
  assert.equal(isOwnOrigin('http://[::1]:8080', '[::1]:8080'), true);
});

test('another host, another port, a default port of the other scheme, odd origins and no Host are refused', () => {
  assert.equal(isOwnOrigin('https://evil.example', '127.0.0.1:8080'), false);
  assert.equal(isOwnOrigin('http://127.0.0.1:8081', '127.0.0.1:8080'), false);
  assert.equal(isOwnOrigin('http://localhost:8080', '127.0.0.1:8080'), false, 'same machine, another origin');
  assert.equal(isOwnOrigin('https://chat.example.org', 'chat.example.org:80'), false, 'an https page is on 443, not 80');
  assert.equal(isOwnOrigin('http://chat.example.org', 'chat.example.org:443'), false);
  assert.equal(isOwnOrigin('https://chat.example.org.evil.example', 'chat.example.org'), false);
  assert.equal(isOwnOrigin('null', '127.0.0.1:8080'), false, 'sandboxed frames and files');
  assert.equal(isOwnOrigin('file:///etc/passwd', '127.0.0.1:8080'), false);
  assert.equal(isOwnOrigin('chrome-extension://abc', 'abc'), false);
  assert.equal(isOwnOrigin('http://127.0.0.1:8080/path', '127.0.0.1:8080'), false, 'an origin has no path');
  assert.equal(isOwnOrigin('http://127.0.0.1:8080', undefined), false);
  assert.equal(isOwnOrigin('http://127.0.0.1:8080', '127.0.0.1:8080/x'), false);
  assert.equal(isOwnOrigin('http://user@127.0.0.1:8080', '127.0.0.1:8080'), false);
});

test('the host asked for is X-Forwarded-Host only from a trusted proxy, and then its last entry', () => {
  assert.equal(askedHost('127.0.0.1:8080', 'chat.example.org', false), '127.0.0.1:8080');
  assert.equal(askedHost('127.0.0.1:8080', 'chat.example.org', true), 'chat.example.org');
  assert.equal(askedHost('127.0.0.1:8080', 'evil.example, chat.example.org', true), 'chat.example.org');
  assert.equal(askedHost('127.0.0.1:8080', ['evil.example', 'chat.example.org'], true), 'chat.example.org');
  assert.equal(askedHost('chat.example.org', undefined, true), 'chat.example.org', 'a proxy that passes Host on');
});
