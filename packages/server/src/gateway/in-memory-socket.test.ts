/** @module gateway/in-memory-socket.test */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ABNORMAL_CLOSURE, MESSAGE_TOO_BIG, socketPair } from './in-memory-socket.js';

/** A pair with both ends' events recorded. */
function recordedPair(options: Parameters<typeof socketPair>[1] = {}) {
  const client = { messages: [] as string[], closes: [] as [number, string][] };
  const server = { messages: [] as string[], closes: [] as number[], pongs: 0 };
  const pair = socketPair(
    { onMessage: (data) => client.messages.push(text(data)), onClose: (code, reason) => client.closes.push([code, reason]) },
    options,
  );
  pair.server.listen({
    onMessage: (bytes, isBinary) => {
      assert.equal(isBinary, true);
      server.messages.push(text(bytes));
    },
    onClose: (code) => server.closes.push(code),
    onPong: () => (server.pongs += 1),
    onError: () => assert.fail('no transport errors in memory'),
  });
  return { ...pair, heard: { client, server } };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const turns = async (n = 3) => {
  for (let i = 0; i < n; i += 1) await nextTurn();
};

test('frames cross on a later turn, in order; the server counts what the client has not taken', async () => {
  const { server, client, heard } = recordedPair();
  const taken: string[] = [];
  server.send(bytes('one'), () => taken.push('one'));
  server.send(bytes('two!'), () => taken.push('two'));
  client.send(bytes('hi'));
  assert.deepEqual(heard.client.messages, [], 'nothing arrives inside the call that sent it');
  assert.equal(server.bufferedAmount, 7);
  await turns();
  assert.deepEqual(heard.client.messages, ['one', 'two!']);
  assert.deepEqual(taken, ['one', 'two']);
  assert.equal(server.bufferedAmount, 0);
  assert.deepEqual(heard.server.messages, ['hi']);
});

test('a paused server end reads nothing: the client side backs up until it resumes', async () => {
  const { server, client, heard } = recordedPair();
  server.pause();
  assert.equal(server.isPaused, true);
  client.send(bytes('a'));
  client.send(bytes('bc'));
  await turns();
  assert.deepEqual(heard.server.messages, []);
  assert.equal(client.bufferedAmount, 3);
  server.resume();
  await turns();
  assert.deepEqual(heard.server.messages, ['a', 'bc']);
  assert.equal(client.bufferedAmount, 0);
});

test('pings are answered by the client; the pong waits while the server is paused', async () => {
  const { server, heard } = recordedPair();
  server.pause();
  server.ping();
  await turns();
  assert.equal(heard.server.pongs, 0);
  server.resume();
  await turns();
  assert.equal(heard.server.pongs, 1);
});

test("the server's close arrives after the frames sent before it, and closes both ends once", async () => {
  const { server, client, heard } = recordedPair();
  server.send(bytes('last words'), () => undefined);
  server.close(4004, 'flooding');
  assert.equal(server.isOpen, false, 'closing: no more writes');
  client.send(bytes('too late'));
  await turns();
  assert.deepEqual(heard.client.messages, ['last words']);
  assert.deepEqual(heard.client.closes, [[4004, 'flooding']]);
  assert.deepEqual(heard.server.closes, [4004]);
  assert.deepEqual(heard.server.messages, [], 'what the client sent after the close is not read');
});

test("the client's close reaches the server after its frames, unless the server is paused", async () => {
  const { server, client, heard } = recordedPair();
  server.pause();
  client.send(bytes('bye'));
  client.close(1000, 'done');
  await turns();
  assert.deepEqual(heard.server.closes, [], 'a paused server does not read the close frame either');
  server.resume();
  await turns();
  assert.deepEqual(heard.server.messages, ['bye']);
  assert.deepEqual(heard.server.closes, [1000]);
  assert.deepEqual(heard.client.closes, [[1000, 'done']]);
});

test('terminate cuts both ends at once with 1006 and drops what was queued', async () => {
  const { server, client, heard } = recordedPair();
  let taken = 0;
  server.send(bytes('never'), () => (taken += 1));
  client.send(bytes('never either'));
  server.terminate();
  assert.deepEqual(heard.server.closes, [ABNORMAL_CLOSURE]);
  assert.deepEqual(heard.client.closes, [[ABNORMAL_CLOSURE, '']]);
  assert.equal(taken, 1, 'the send callback still runs, as ws runs it for a destroyed socket');
  await turns();
  assert.deepEqual(heard.client.messages, []);
  assert.deepEqual(heard.server.messages, []);
  server.terminate();
  assert.equal(heard.server.closes.length, 1, 'closed once');
});

test('a message over the size limit closes the pair with 1009', async () => {
  const { client, heard } = recordedPair({ maxMessageBytes: 4 });
  client.send(bytes('four'));
  client.send(bytes('fives'));
  await turns();
  assert.deepEqual(heard.server.messages, ['four']);
  assert.deepEqual(heard.server.closes, [MESSAGE_TOO_BIG]);
  assert.equal(heard.client.closes[0]?.[0], MESSAGE_TOO_BIG);
});

test('the frames of one corked turn leave together, after the turn', async () => {
  const { server, heard } = recordedPair();
  server.corkUntilTurnEnds();
  server.send(bytes('a'), () => undefined);
  server.send(bytes('b'), () => undefined);
  await Promise.resolve();
  assert.deepEqual(heard.client.messages, []);
  await turns();
  assert.deepEqual(heard.client.messages, ['a', 'b']);
});

test('a client that stops reading makes the server hold its frames; text messages arrive as text', async () => {
  const { server, client, heard } = recordedPair();
  client.pause();
  server.send(bytes('held'), () => undefined);
  await turns();
  assert.deepEqual(heard.client.messages, []);
  assert.equal(server.bufferedAmount, 4);
  client.resume();
  await turns();
  assert.deepEqual(heard.client.messages, ['held']);
  assert.equal(server.bufferedAmount, 0);

  const received: boolean[] = [];
  server.listen({ onMessage: (_bytes, isBinary) => received.push(isBinary), onClose: () => undefined, onPong: () => undefined, onError: () => undefined });
  client.sendText('plain');
  client.send(bytes('binary'));
  await turns();
  assert.deepEqual(received, [false, true]);
});
