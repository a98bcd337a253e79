/** @module gateway/http-errors.test Which HTTP errors are the client's mistake, and the codes they get. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientMistake, errorBody, httpError } from './http-errors.js';

test("Fastify's request errors become 400, 413 and 415 with stable codes; the server's own failures do not", () => {
  assert.deepEqual(clientMistake({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }), httpError('INVALID_JSON'));
  assert.deepEqual(clientMistake({ code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }), httpError('INVALID_JSON'));
  assert.equal(clientMistake({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })?.status, 413);
  assert.equal(clientMistake({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })?.code, 'UNSUPPORTED_MEDIA_TYPE');
  assert.deepEqual(clientMistake({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 }), httpError('BAD_REQUEST'));
  assert.equal(clientMistake({ code: 'SOMETHING', statusCode: 500 }), undefined);
  assert.equal(clientMistake({}), undefined, 'a plain exception is a bug: 500, logged');
});

test('every answer has the same shape: a code and a message', () => {
  assert.deepEqual(errorBody(httpError('BODY_TOO_LARGE')), { error: { code: 'BODY_TOO_LARGE', message: 'The request body is larger than 1 MiB.' } });
});
