/**
 * @module platform/browser-transport
 * The engine's Transport over the browser's WebSocket: binary frames only. Text frames are
 * ignored, as in Node; the frame decoder checks every size limit before it parses anything.
 */
import { MAX_FRAME_BYTES } from '@sotto/protocol';
import type { Transport, TransportHandlers, TransportSocket } from '@sotto/core';

/** How long a connection attempt may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 10_000;

export class BrowserTransport implements Transport {
  open(url: string, handlers: TransportHandlers): Promise<TransportSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.binaryType = 'arraybuffer';
      let opened = false;
      const timer = setTimeout(() => {
        if (opened) return;
        socket.close();
        reject(new Error('connection timed out'));
      }, CONNECT_TIMEOUT_MS);
      socket.onopen = () => {
        opened = true;
        clearTimeout(timer);
        resolve({
          send: (data) => {
            // Frames are built in ordinary ArrayBuffers; the cast only narrows the SharedArrayBuffer case away.
            if (socket.readyState === WebSocket.OPEN) socket.send(data as Uint8Array<ArrayBuffer>);
          },
          close: (code, reason) => socket.close(code ?? 1000, reason),
        });
      };
      socket.onmessage = (event: MessageEvent<unknown>) => {
        if (!(event.data instanceof ArrayBuffer)) return;
        // The browser has no maxPayload option: drop oversized frames here, unread, and say why.
        if (event.data.byteLength > MAX_FRAME_BYTES) {
          socket.close(1009, 'frame too large');
          return;
        }
        handlers.onMessage(new Uint8Array(event.data));
      };
      socket.onclose = (event) => {
        clearTimeout(timer);
        if (opened) handlers.onClose(event.code, event.reason);
        else reject(new Error(`connection refused (${event.code})`));
      };
    });
  }
}

/** `ws(s)://` + this page's host + the server's WebSocket path: the app talks to the server that served it. */
export function serverUrlForPage(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/ws`;
}
