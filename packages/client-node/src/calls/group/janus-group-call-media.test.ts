/**
 * A hostile SFU, as the media stack meets it: a WebSocket server on loopback that speaks just
 * enough of Janus's member API to be trusted that far, then answers with what an attacker in the
 * SFU's place would send. Each join fails with a clear error naming what was refused, before
 * werift reads the description, and leaves nothing open. (The honest path runs against Debian's
 * Janus in test/e2e/group-calls.test.ts.)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { GroupCallKeyring, type GroupCallMediaHandlers } from '@sotto/core';
import { JanusGroupCallMedia } from './janus-group-call-media.js';

const servers: WebSocketServer[] = [];
after(() => {
  for (const server of servers) server.close();
});

/** A Janus that creates, attaches and admits, then answers the publish with `answer(sdp)`. */
async function hostileSfu(reply: (socket: WebSocket, transaction: string) => void): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'janus-protocol' });
  servers.push(server);
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { janus: string; transaction: string; body?: { request?: string } };
      const answer = (body: Record<string, unknown>) => socket.send(JSON.stringify({ ...body, transaction: message.transaction }));
      if (message.janus === 'create' || message.janus === 'attach') return answer({ janus: 'success', data: { id: 7 } });
      if (message.janus === 'message' && message.body?.request === 'join') {
        return answer({ janus: 'event', sender: 7, plugindata: { plugin: 'janus.plugin.videoroom', data: { videoroom: 'joined', private_id: 1, publishers: [] } } });
      }
      if (message.janus === 'message' && message.body?.request === 'configure') return reply(socket, message.transaction);
      if (message.janus === 'trickle' || message.janus === 'keepalive') return answer({ janus: 'ack' });
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const handlers: GroupCallMediaHandlers = { onConnected: () => {}, onFailed: () => {}, onHeard: () => {}, onLeft: () => {}, onFrameRefused: () => {} };

async function joinAt(url: string): Promise<unknown> {
  const keyring = new GroupCallKeyring(1n);
  const options = { admission: { sfuUrl: url, roomId: 1n, token: 't', joinToken: 'j', feedId: 2n }, iceServers: [], relayOnly: false, allowLoopback: true };
  return new JanusGroupCallMedia().join(options, keyring, handlers).then(
    async (session) => {
      await session.close();
      return 'joined';
    },
    (error: unknown) => error,
  );
}

function answerWith(sdp: string): (socket: WebSocket, transaction: string) => void {
  return (socket, transaction) =>
    socket.send(JSON.stringify({ janus: 'event', sender: 7, transaction, plugindata: { plugin: 'janus.plugin.videoroom', data: { videoroom: 'event', configured: 'ok' } }, jsep: { type: 'answer', sdp } }));
}

const VALID_HEAD = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 127.0.0.1',
  'a=mid:0', 'a=recvonly', 'a=rtcp-mux', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuv',
  `a=fingerprint:sha-256 ${Array.from({ length: 32 }, () => 'AB').join(':')}`, 'a=setup:active', 'a=rtpmap:111 opus/48000/2'];

test('an oversized answer from the SFU is refused before werift reads it, in words', async () => {
  const error = await joinAt(await hostileSfu(answerWith([...VALID_HEAD, `a=x-padding:${'A'.repeat(20_000)}`].join('\r\n') + '\r\n')));
  assert.ok(error instanceof Error, String(error));
  assert.match(error.message, /The SFU's answer was refused \(SDP_TOO_LARGE\)/);
});

test('an answer with a media section the validator does not allow is refused', async () => {
  // (A candidate aimed at a LAN is dropped from the description, not fatal: validateSdp's own tests.)
  const video = await joinAt(await hostileSfu(answerWith([...VALID_HEAD, 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=rtpmap:96 H265/90000'].join('\r\n') + '\r\n')));
  assert.ok(video instanceof Error && /The SFU's answer was refused \(SDP_NOT_AUDIO\)/.test(video.message), String(video));
});

test('no answer at all, a message past 64 KiB, or a refusal: a clear error, nothing left open', async () => {
  const none = await joinAt(await hostileSfu((socket, transaction) =>
    socket.send(JSON.stringify({ janus: 'event', sender: 7, transaction, plugindata: { plugin: 'janus.plugin.videoroom', data: { videoroom: 'event' } } }))));
  assert.ok(none instanceof Error && /The SFU sent no answer/.test(none.message), String(none));
  const huge = await joinAt(await hostileSfu((socket) => socket.send('x'.repeat(70 * 1024))));
  assert.ok(huge instanceof Error, String(huge));
  const refused = await joinAt(await hostileSfu((socket, transaction) =>
    socket.send(JSON.stringify({ janus: 'event', sender: 7, transaction, plugindata: { plugin: 'janus.plugin.videoroom', data: { error_code: 433, error: 'Unauthorized' } } }))));
  assert.ok(refused instanceof Error && /would not let this device publish: 433 Unauthorized/.test(refused.message), String(refused));
});

test('an SFU address that is not ws:// or wss:// is refused before any connection', async () => {
  const error = await joinAt('http://127.0.0.1:1/');
  assert.ok(error instanceof Error && /not a ws:\/\/ or wss:\/\/ URL/.test(error.message), String(error));
});
