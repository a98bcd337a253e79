/** @module logger.test Scopes, levels and the censoring of sensitive fields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, shortId } from './logger.js';

function capture(): { lines: () => Record<string, unknown>[]; write: (s: string) => void } {
  let text = '';
  return {
    write: (s: string) => {
      text += s;
    },
    lines: () => text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

test('shortId is a stable 8-hex digest that does not contain the input', () => {
  assert.match(shortId('alice'), /^[0-9a-f]{8}$/);
  assert.equal(shortId('alice'), shortId('alice'));
  assert.notEqual(shortId('alice'), shortId('bob'));
  assert.equal(shortId(new TextEncoder().encode('alice')), shortId('alice'));
});

test('scoped loggers write JSON with their scope, and sensitive fields are censored', () => {
  const out = capture();
  const root = createLogger('server', { level: 'info', destination: out });
  const gateway = createLogger('gateway', { parent: root });
  gateway.info({ username: 'alice', nested: { payload: 'secret', inviteCode: 'abc' }, count: 2 }, 'hello');
  root.debug('hidden below the level');
  const [line, ...rest] = out.lines();
  assert.equal(rest.length, 0);
  assert.equal(line?.scope, 'gateway', 'one scope key, the inner one');
  assert.equal(line?.msg, 'hello');
  assert.equal(line?.count, 2);
  const text = JSON.stringify(line);
  for (const secret of ['alice', 'secret', 'abc']) assert.ok(!text.includes(secret), `${secret} censored`);
});
