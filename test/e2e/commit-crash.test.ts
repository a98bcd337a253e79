/**
 * Scenario (rule 4 on the client): the server accepts a member's commit but
 * the answer never reaches the device (connection cut at that moment, as in
 * a crash). A fresh client on the same profile must settle the pending
 * commit (the server's idempotency answers for the original), end up in the
 * new epoch, and keep talking to the group.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decodeFrame, FrameType } from '@sotto/protocol';
import { SottoClient, type Transport } from '@sotto/core';
import { nodeClientDeps, registerNodeClient, WsTransport } from '@sotto/client-node';
import { startServer } from '@sotto/server';
import { scratchDir } from '../support/paths.js';

const dir = scratchDir('commit-crash');
let server: Awaited<ReturnType<typeof startServer>>;

/** A transport that, when armed, swallows the answer to the next COMMIT and cuts the connection. */
class CuttingTransport implements Transport {
  armed = false;
  private readonly inner = new WsTransport();

  async open(url: string, handlers: Parameters<Transport['open']>[1]) {
    let commitId: number | undefined;
    const socket = await this.inner.open(url, {
      onMessage: (data) => {
        const frame = decodeFrame(data);
        if (frame.type === FrameType.RESPONSE && frame.id === commitId) {
          this.armed = false;
          socket.close(1000, 'cut');
          return;
        }
        handlers.onMessage(data);
      },
      onClose: handlers.onClose,
    });
    return {
      send: (data: Uint8Array) => {
        if (this.armed && decodeFrame(data).type === FrameType.COMMIT) commitId = decodeFrame(data).id;
        socket.send(data);
      },
      close: (code?: number, reason?: string) => socket.close(code, reason),
    };
  }
}

function deps(name: string, transport?: Transport) {
  const base = nodeClientDeps({ profileDir: join(dir.path, name), logLevel: 'silent', reconnect: false });
  return transport ? { ...base, transport } : base;
}

before(async () => {
  server = await startServer({ dataDir: join(dir.path, 'server'), port: 0, logLevel: 'silent' });
});

after(async () => {
  await server?.close();
  dir.remove();
});

test('a commit whose answer was lost is settled by the next client on the same profile', async () => {
  for (const name of ['alice', 'bob', 'carol']) {
    const c = await registerNodeClient({ profileDir: join(dir.path, name), logLevel: 'silent', reconnect: false }, server.url, name);
    await c.connect();
    await c.idle();
    await c.close();
  }
  const open = async (name: string, transport?: Transport) => {
    const c = await SottoClient.open(deps(name, transport));
    await c.connect();
    await c.sync();
    return c;
  };
  let alice = await open('alice');
  let bob = await open('bob');
  let carol = await open('carol');
  await alice.requestContact('bob', 'hi');
  await alice.requestContact('carol', 'hi');
  await bob.sync().catch(() => undefined);
  await bob.close();
  await carol.close();
  bob = await open('bob');
  carol = await open('carol');
  await bob.respondToContact('alice', 'accept');
  await carol.respondToContact('alice', 'accept');
  await Promise.all([bob.idle(), carol.idle()]);
  await alice.close();
  alice = await open('alice');
  await alice.createGroup('club', ['bob']);
  await alice.idle();
  await alice.close();

  // The cut: the server applies the commit adding carol; alice never hears back.
  const cutting = new CuttingTransport();
  alice = await open('alice', cutting);
  const before = (await alice.listConversations()).find((c) => c.name === 'club')!;
  cutting.armed = true;
  await assert.rejects(alice.addMembers(before.groupId, ['carol']), /connection|Connection|Not sent|closed|lost/i);
  const stuck = (await alice.listConversations()).find((c) => c.name === 'club')!;
  assert.equal(stuck.epoch, before.epoch, 'the new state is not adopted without the server\'s word');
  assert.ok(stuck.pending, 'the change is kept as pending');
  await alice.close();

  // Next start: the identical request is resubmitted; the server answers for the original.
  alice = await open('alice');
  await alice.idle();
  const settled = (await alice.listConversations()).find((c) => c.name === 'club')!;
  assert.equal(settled.pending, undefined);
  assert.equal(settled.epoch, before.epoch + 1n);

  await bob.close();
  await carol.close();
  await alice.sendText(settled.groupId, 'after the cut');
  await alice.idle();
  const received: string[] = [];
  for (const name of ['bob', 'carol']) {
    const c = await SottoClient.open(deps(name));
    c.events.didReceiveMessage.event((m) => received.push(`${name}:${m.body}`));
    await c.connect();
    await c.sync();
    await c.close();
  }
  assert.deepEqual(received.sort(), ['bob:after the cut', 'carol:after the cut']);
  await alice.close();
});
