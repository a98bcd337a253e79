/**
 * @module test/support/watched-transport
 * The in-memory server's transport with the client ends kept, so a test can see how often a
 * client connected and cut or stall its link as a network would: `dropLatest` closes the newest
 * end (the session sees a lost connection), `stallLatest` stops it taking what the server sends
 * (requests get no answer).
 */
import type { Transport, TransportSocket } from '@sotto/core';
import type { InMemoryServer } from '@sotto/server/in-memory';

export interface WatchedTransport extends Transport {
  /** Connections opened through this transport so far. */
  readonly opens: number;
  dropLatest(): void;
  stallLatest(): void;
}

type ClientEnd = Awaited<ReturnType<InMemoryServer['transport']['open']>>;

export function watchedTransport(server: InMemoryServer): WatchedTransport {
  const ends: ClientEnd[] = [];
  const latest = (): ClientEnd => {
    const end = ends.at(-1);
    if (!end) throw new Error('no connection was opened');
    return end;
  };
  return {
    get opens() {
      return ends.length;
    },
    async open(url, handlers): Promise<TransportSocket> {
      const end = await server.transport.open(url, handlers);
      ends.push(end);
      return end;
    },
    dropLatest: () => latest().close(4000, 'dropped by the test'),
    stallLatest: () => latest().pause(),
  };
}
