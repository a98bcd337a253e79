import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, sfuOrigin } from './web-app.js';

test("the page may connect to this server and, with an SFU, to the SFU's origin alone", () => {
  assert.match(contentSecurityPolicy(), /connect-src 'self';/);
  assert.match(contentSecurityPolicy(['wss://sfu.example.org']), /connect-src 'self' wss:\/\/sfu\.example\.org;/);
  assert.equal(sfuOrigin('wss://chat.example.org/janus?x=1'), 'wss://chat.example.org');
  assert.equal(sfuOrigin('ws://127.0.0.1:8188'), 'ws://127.0.0.1:8188');
  // Anything but a WebSocket URL adds nothing to the policy.
  assert.equal(sfuOrigin('https://sfu.example.org'), undefined);
  assert.equal(sfuOrigin('javascript:alert(1)'), undefined);
  assert.equal(sfuOrigin('not a url'), undefined);
  assert.equal(sfuOrigin(undefined), undefined);
});
