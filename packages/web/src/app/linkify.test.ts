import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkify, safeHref } from './linkify.js';

const links = (text: string) => linkify(text).filter((p) => p.kind === 'link').map((p) => (p.kind === 'link' ? p.href : ''));

test('http and https addresses become links; the text around them stays text, whole', () => {
  const parts = linkify('See https://example.org/a?b=1#c and http://x.test/, please.');
  assert.deepEqual(parts, [
    { kind: 'text', text: 'See ' },
    { kind: 'link', text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
    { kind: 'text', text: ' and ' },
    { kind: 'link', text: 'http://x.test/', href: 'http://x.test/' },
    { kind: 'text', text: ', please.' },
  ]);
  assert.equal(parts.map((p) => p.text).join(''), 'See https://example.org/a?b=1#c and http://x.test/, please.');
});

test('sentence punctuation and unopened brackets are not part of an address; brackets it opened are', () => {
  assert.deepEqual(links('(see https://x.org/a).'), ['https://x.org/a']);
  assert.deepEqual(links('https://en.wikipedia.org/wiki/Fish_(food)!'), ['https://en.wikipedia.org/wiki/Fish_(food)']);
  assert.deepEqual(links('"https://x.org/q"'), ['https://x.org/q']);
});

test('nothing but http(s) becomes a link: javascript:, data:, markup and addresses with credentials stay text', () => {
  for (const text of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '<a href="javascript:alert(2)">tap</a>', '<img src=x onerror=alert(1)>', 'ftp://x.org/f', 'https://', 'https://user:pw@x.org/']) {
    assert.deepEqual(links(text), [], text);
    assert.equal(linkify(text).map((p) => p.text).join(''), text, 'kept as the very characters');
  }
  assert.equal(safeHref('javascript:alert(1)'), undefined);
  assert.equal(safeHref('HTTPS://Example.ORG'), 'https://example.org/');
});

test('an address stops at quotes and angle brackets, so no attribute can be smuggled in', () => {
  assert.deepEqual(links('https://x.org/"onmouseover="alert(1)'), ['https://x.org/']);
  assert.deepEqual(links('<https://x.org/a>'), ['https://x.org/a']);
});
