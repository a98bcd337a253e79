import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webSocketUrl } from './session.js';
import { ClientError } from './errors.js';

test('a server URL maps to its WebSocket endpoint without ever losing TLS', () => {
  assert.equal(webSocketUrl('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080/v1/ws');
  assert.equal(webSocketUrl('https://chat.example.org'), 'wss://chat.example.org/v1/ws');
  assert.equal(webSocketUrl('wss://chat.example.org/'), 'wss://chat.example.org/v1/ws', 'wss stays wss');
  assert.equal(webSocketUrl('ws://127.0.0.1:8080'), 'ws://127.0.0.1:8080/v1/ws');
});

test('a URL of another scheme is refused, not turned into plain ws', () => {
  assert.throws(() => webSocketUrl('ftp://x'), (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT');
});
