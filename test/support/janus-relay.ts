/**
 * @module test/support/janus-relay
 * A WebSocket relay in front of a real Janus that passes every message both ways but answers a
 * member's first `n` subscriber joins itself, with the error Janus gives for a feed that is gone:
 * how a test makes a subscription fail the way it does under load, against the real SFU.
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export class JanusRelay {
  /** Subscriber joins refused so far. */
  refused = 0;

  private constructor(
    private readonly server: WebSocketServer,
    private readonly refuseFirst: number,
  ) {}

  static async start(janusUrl: string, refuseFirst: number): Promise<JanusRelay> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'janus-protocol' });
    const relay = new JanusRelay(server, refuseFirst);
    server.on('connection', (member) => relay.relay(member, janusUrl));
    await new Promise((resolve) => server.once('listening', resolve));
    return relay;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(member: WebSocket, janusUrl: string): void {
    const janus = new WebSocket(janusUrl, 'janus-protocol');
    const early: WebSocket.RawData[] = [];
    janus.on('open', () => early.splice(0).forEach((data) => janus.send(data)));
    janus.on('message', (data) => member.readyState === WebSocket.OPEN && member.send(String(data)));
    janus.on('close', () => member.close());
    member.on('close', () => janus.close());
    member.on('message', (data) => {
      const message = JSON.parse(String(data)) as { janus?: string; transaction?: string; handle_id?: number; body?: { request?: string; ptype?: string } };
      if (message.janus === 'message' && message.body?.request === 'join' && message.body.ptype === 'subscriber' && this.refused < this.refuseFirst) {
        this.refused++;
        member.send(JSON.stringify({ janus: 'ack', transaction: message.transaction }));
        member.send(JSON.stringify({
          janus: 'event', sender: message.handle_id, transaction: message.transaction,
          plugindata: { plugin: 'janus.plugin.videoroom', data: { videoroom: 'event', error_code: 428, error: 'No such feed' } },
        }));
        return;
      }
      if (janus.readyState === WebSocket.OPEN) janus.send(String(data));
      else early.push(data);
    });
  }
}
