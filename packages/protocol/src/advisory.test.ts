import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { AdvisorySchema } from './gen/sotto/v1/wire_pb.js';
import { advisoryTranscript, checkAdvisory } from './advisory.js';

const valid = { id: new Uint8Array(16).fill(7), publishedAt: 1n, title: 'Update now', text: 'A call bug is fixed in 0.2.0.', fixedVersion: '0.2.0' };
const encode = (fields: Partial<typeof valid>) => toBinary(AdvisorySchema, create(AdvisorySchema, { ...valid, ...fields }));

test('the advisory transcript is the domain tag followed by the exact advisory bytes', () => {
  const bytes = encode({});
  const transcript = advisoryTranscript(bytes);
  assert.equal(new TextDecoder().decode(transcript.subarray(0, 17)), 'sotto-advisory-v1');
  assert.deepEqual(transcript.subarray(17), bytes);
});

test('advisories are checked: id size, plain-text title and text within limits, version shape', () => {
  assert.equal(checkAdvisory(encode({})).ok, true);
  assert.equal(checkAdvisory(encode({ fixedVersion: '' })).ok, true, 'no fixed version: affects everyone');
  const refused = (fields: Partial<typeof valid>) => {
    const result = checkAdvisory(encode(fields));
    return result.ok ? 'accepted' : result.reason;
  };
  assert.match(refused({ id: new Uint8Array(3) }), /16 bytes/);
  assert.match(refused({ title: '' }), /titles/);
  assert.match(refused({ title: 'x'.repeat(121) }), /titles/);
  assert.match(refused({ text: 'bidi \u202e override' }), /texts/);
  assert.match(refused({ text: 'y'.repeat(2001) }), /texts/);
  assert.match(refused({ fixedVersion: 'soon' }), /1\.2\.3/);
  const garbage = checkAdvisory(Uint8Array.of(0xff, 0xff, 0xff));
  assert.equal(garbage.ok, false);
});
