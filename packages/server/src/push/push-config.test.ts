/** @module push/push-config.test The push settings: the subject taken from the operator contact when it can be, and bad values refused at start-up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, pushSubjectOf, resolveConfig } from '../config.js';

test('the subject is --push-subject, else an operator contact that is a mailto:/https: URL or an email address, else none', () => {
  assert.equal(pushSubjectOf({ pushSubject: 'https://example.org/contact', operatorContact: 'a@b.org' }), 'https://example.org/contact');
  assert.equal(pushSubjectOf({ operatorContact: 'security@example.org' }), 'mailto:security@example.org');
  assert.equal(pushSubjectOf({ operatorContact: 'mailto:security@example.org' }), 'mailto:security@example.org');
  assert.equal(pushSubjectOf({ operatorContact: 'https://example.org/abuse' }), 'https://example.org/abuse');
  assert.equal(pushSubjectOf({ operatorContact: '' }), undefined);
  assert.equal(pushSubjectOf({ operatorContact: 'ask Sam at the desk' }), undefined);
  assert.equal(pushSubjectOf({ operatorContact: 'http://example.org' }), undefined, 'http: is not a subject push services accept');
});

test('bad push settings are refused at start-up, naming the setting', () => {
  const refused = (input: object, message: RegExp): void =>
    assert.throws(() => resolveConfig({ dataDir: '/tmp/x', ...input }), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  refused({ pushSubject: 'ops@example.org' }, /^pushSubject must be a mailto: or https: URL/);
  refused({ pushSubject: 'mailto:' }, /^pushSubject must be a mailto: or https: URL/);
  refused({ pushEndpoints: [] }, /^pushEndpoints must be host names/);
  refused({ pushEndpoints: ['10.0.0.1'] }, /^pushEndpoints must be host names/);
  refused({ push: 'yes' }, /^push must be true or false/);
  refused({ pushAllowLoopback: 1 }, /^pushAllowLoopback must be true or false/);
  assert.equal(resolveConfig({ dataDir: '/tmp/x' }).push, true);
});
