/**
 * @module ws-transport
 * The engine's Transport over the `ws` package: binary frames only.
 */
import WebSocket from 'ws';
import { MAX_FRAME_BYTES } from '@sotto/protocol';
import type { Transport, TransportHandlers, TransportSocket } from '@sotto/core';

export class WsTransport implements Transport {
  open(url: string, handlers: TransportHandlers): Promise<TransportSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 10_000 });
      socket.binaryType = 'nodebuffer';
      let opened = false;
      socket.on('open', () => {
        opened = true;
        resolve({
          send: (data) => {
            if (socket.readyState === WebSocket.OPEN) socket.send(data);
          },
          close: (code, reason) => socket.close(code ?? 1000, reason),
        });
      });
      socket.on('message', (data: Buffer, isBinary) => {
        if (!isBinary) return;
        handlers.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      });
      socket.on('close', (code, reason) => {
        if (opened) handlers.onClose(code, reason.toString());
      });
      socket.on('error', (error) => {
        if (!opened) reject(error);
      });
    });
  }
}
