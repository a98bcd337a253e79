/**
 * @module gateway/connection-caps
 * How many connections the server holds in all, and how many of them one address may hold. The
 * total stays under the process's open-file limit, so the database, the logs and new members
 * always find a descriptor; the share per address keeps one client (one IPv4 address, one IPv6
 * /64: see rate-limits/address-key.ts) from taking the total. Counts only: the gateway says when
 * a socket opens and closes, and for whom.
 */

export interface ConnectionCapLimits {
  /** Sockets open at once, from anyone. */
  readonly total: number;
  /** Sockets open at once from one address key. */
  readonly perAddress: number;
}

/**
 * 256 a client: many members behind one NAT (an office, a campus) share an address, each with a
 * device or two and a browser's few sockets; an operator with more raises it.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;

export class ConnectionCaps {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: ConnectionCapLimits) {}

  /** Sockets counted now. */
  get open(): number {
    return this.total;
  }

  /** Counts a new socket, or says why it may not open: the total is reached. */
  admit(): boolean {
    if (this.total >= this.limits.total) return false;
    this.total += 1;
    return true;
  }

  release(): void {
    this.total = Math.max(0, this.total - 1);
  }

  /** Counts a socket (already admitted) against `address`; false if that address has its share. */
  admitFrom(address: string): boolean {
    const held = this.byAddress.get(address) ?? 0;
    if (held >= this.limits.perAddress) return false;
    this.byAddress.set(address, held + 1);
    return true;
  }

  releaseFrom(address: string): void {
    const held = this.byAddress.get(address) ?? 0;
    // Forgotten at zero, so the map holds only addresses with a socket open.
    if (held <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, held - 1);
  }

  /** Sockets `address` holds now. */
  heldBy(address: string): number {
    return this.byAddress.get(address) ?? 0;
  }
}

/**
 * The total for a process allowed `openFiles` descriptors: 256 (1% of a large limit) are kept
 * back for everything that is not a client socket: the database and its journal, logs, NATS,
 * PostgreSQL's pool, the listening socket. Without that margin a connection flood makes the
 * next database open fail with EMFILE, and the server fails every member at once.
 */
export function totalCapFor(openFiles: number): number {
  if (!Number.isFinite(openFiles)) return openFiles;
  return Math.max(16, openFiles - Math.max(256, Math.ceil(openFiles * 0.01)));
}
