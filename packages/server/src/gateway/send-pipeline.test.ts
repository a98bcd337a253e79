import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, EmptySchema } from '@sotto/protocol';
import type { ResponseResult } from './requests.js';
import { SendPipeline } from './send-pipeline.js';

const ok: ResponseResult = { case: 'ok', value: create(EmptySchema) };

function deferred() {
  let resolve!: (value: ResponseResult) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<ResponseResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('answers leave in request order however the requests finish, failures in their place', async () => {
  const answered: string[] = [];
  const pipeline = new SendPipeline((id, outcome) => answered.push(`${id}:${outcome.ok ? 'ok' : 'error'}`));
  const [first, second, third] = [deferred(), deferred(), deferred()];
  pipeline.add(1, 0, first.promise);
  pipeline.add(2, 0, second.promise);
  pipeline.add(3, 0, third.promise);
  third.resolve(ok);
  second.reject(new Error('refused'));
  await tick();
  assert.deepEqual(answered, [], 'nothing before the first is answered');
  first.resolve(ok);
  await tick();
  assert.deepEqual(answered, ['1:ok', '2:error', '3:ok']);
  assert.equal(pipeline.size, 0);
});

test('whenBelow waits until few enough requests are unanswered', async () => {
  const pipeline = new SendPipeline(() => {});
  const requests = [deferred(), deferred(), deferred()];
  requests.forEach((request, i) => pipeline.add(i + 1, 0, request.promise));
  let roomForOne = false;
  let idle = false;
  void pipeline.whenBelow(3).then(() => (roomForOne = true));
  void pipeline.whenBelow(1).then(() => (idle = true));
  await tick();
  assert.equal(roomForOne, false);
  requests[0]!.resolve(ok);
  await tick();
  assert.equal(roomForOne, true);
  assert.equal(idle, false);
  requests[1]!.resolve(ok);
  requests[2]!.resolve(ok);
  await tick();
  assert.equal(idle, true);
  await pipeline.whenBelow(1);
});
