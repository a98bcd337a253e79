/**
 * @module test/support/tcp-relay
 * A loopback TCP relay to a service, which a test can cut and restore: how a
 * node "loses NATS" while the NATS server and the other nodes carry on.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './server-process.js';

export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpRelay> {
    const relay = new TcpRelay(await freePort(), targetPort);
    await relay.listen();
    return relay;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  private listen(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Destroy first: close() waits for open connections to end.
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
