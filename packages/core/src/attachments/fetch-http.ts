/**
 * @module attachments/fetch-http
 * The `HttpPort` over a platform's `fetch` (Node's and the browser's both fit `FetchLike`). The
 * engine never reaches for a global: the platform hands its `fetch` in, and this adapter reads
 * answers as streams, so a large file never sits in memory whole.
 */
import type { HttpAnswer, HttpPort } from '../ports.js';

interface StreamReaderLike {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

/** What the adapter reads of a fetch response. */
export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: { getReader(): StreamReaderLike } | null;
  text(): Promise<string>;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array }) => Promise<FetchResponseLike>;

async function* chunksOf(response: FetchResponseLike): AsyncIterable<Uint8Array> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      if (next.value && next.value.byteLength > 0) yield next.value;
    }
  } finally {
    // A reader stopped early (a refused file) gives the connection back instead of draining it.
    if (!done) await reader.cancel().catch(() => undefined);
  }
}

export function fetchHttpPort(fetchFn: FetchLike): HttpPort {
  return {
    async request(method, url, headers, body): Promise<HttpAnswer> {
      const response = await fetchFn(url, { method, headers: { ...headers }, ...(body ? { body } : {}) });
      return {
        status: response.status,
        header: (name) => response.headers.get(name),
        body: chunksOf(response),
        text: () => response.text(),
      };
    },
  };
}
