/**
 * @module test/support/udp-relay
 * A loopback UDP relay between two ICE agents, A and B. Each is told one of the relay's ports as
 * its peer's only candidate, so every packet between them passes here, as through a NAT or a
 * TURN server. The relay can watch each packet, hold some back, and send bytes into a side from
 * the address that side knows as its peer: what an attacker on the path can do, and the only
 * way to "re-send from the peer's address" with sockets that cannot spoof their source.
 */
import { createSocket, type Socket } from 'node:dgram';

export type Side = 'a' | 'b';

/** Decides what happens to a packet one side sent towards the other. */
export type RelayFilter = (from: Side, data: Buffer) => 'forward' | 'drop';

const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

export class UdpRelay {
  /** The socket each side talks to (the side's view of its peer). */
  private readonly facing: Record<Side, Socket>;
  /** Where each side really listens, from its own candidate. */
  private readonly target: Partial<Record<Side, number>> = {};
  private filter: RelayFilter = () => 'forward';

  private constructor() {
    this.facing = { a: createSocket('udp4'), b: createSocket('udp4') };
    for (const side of ['a', 'b'] as const) {
      this.facing[side].on('message', (data) => this.relay(side, data));
    }
  }

  static async start(): Promise<UdpRelay> {
    const relay = new UdpRelay();
    await Promise.all(Object.values(relay.facing).map((socket) => new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))));
    return relay;
  }

  /** The port to announce to `side` as its peer's candidate. */
  portFacing(side: Side): number {
    return this.facing[side].address().port;
  }

  /** Where `side` listens (the port of its own loopback candidate). */
  setTarget(side: Side, port: number): void {
    this.target[side] = port;
  }

  setFilter(filter: RelayFilter): void {
    this.filter = filter;
  }

  /** Sends `data` to `side` from the port it knows as its peer's. */
  inject(side: Side, data: Buffer): Promise<void> {
    const port = this.target[side];
    if (port === undefined) return Promise.reject(new Error(`no target for side ${side} yet`));
    return new Promise((resolve, reject) => this.facing[side].send(data, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
  }

  close(): void {
    for (const socket of Object.values(this.facing)) socket.close();
  }

  private relay(from: Side, data: Buffer): void {
    const to = other(from);
    const port = this.target[to];
    // Before the far side's candidate is known there is nowhere to go; ICE retransmits.
    if (port === undefined || this.filter(from, data) === 'drop') return;
    this.facing[to].send(data, port, '127.0.0.1');
  }
}

/**
 * The loopback UDP host candidate in `candidate` rewritten to `port`, or undefined for any
 * other candidate (those would let the two sides find a path around the relay).
 */
export function loopbackCandidateVia(candidate: string, port: number): { rewritten: string; ownPort: number } | undefined {
  const fields = candidate.split(' ');
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  if (fields.length < 8 || fields[2]?.toLowerCase() !== 'udp' || fields[4] !== '127.0.0.1' || fields[7] !== 'host') return undefined;
  const ownPort = Number(fields[5]);
  fields[5] = String(port);
  return { rewritten: fields.join(' '), ownPort };
}
