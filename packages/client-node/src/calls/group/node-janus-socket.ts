/**
 * @module calls/group/node-janus-socket
 * The SFU's WebSocket for Node (`ws`), as core's JanusSession takes it: the `janus-protocol`
 * subprotocol, and messages past 64 KiB refused by `ws` itself (it closes the socket).
 */
import WebSocket from 'ws';
import { MAX_JANUS_MESSAGE_CHARS, type JanusConnect } from '@sotto/core';

const HANDSHAKE_TIMEOUT_MS = 10_000;

export const connectNodeJanus: JanusConnect = (url, events) =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'janus-protocol', { maxPayload: MAX_JANUS_MESSAGE_CHARS, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    let open = false;
    let closed = false;
    const closeOnce = (): void => {
      if (closed) return;
      closed = true;
      events.onClose();
    };
    socket.once('open', () => {
      open = true;
      resolve({ send: (text) => socket.send(text), close: () => socket.close() });
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) events.onMessage(data.toString('utf8'));
    });
    socket.on('error', () => (open ? closeOnce() : reject(new Error('the SFU could not be reached'))));
    socket.on('close', () => {
      if (open) closeOnce();
    });
  });
