/** @module bus/nats/nats-test-env What the NATS tests share: the server to use, whether it runs, and a link to cut. */
// Real NATS only (no mocks): the shared server on 127.0.0.1:4222, reached
// directly or, for outage tests, through a relay the test can cut.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { createLogger, type Logger } from '../../logger.js';

export const NATS_URL = process.env.SOTTO_NATS_URL ?? 'nats://127.0.0.1:4222';
const ON_CI = process.env.CI === 'true';

/** A cluster name no other run uses, so parallel runs on one NATS server never see each other's events. */
export function uniqueCluster(): string {
  return `test-${process.pid}-${randomUUID().slice(0, 8)}`;
}

export function quietLogger(): Logger {
  return createLogger('bus-test', { level: process.env.SOTTO_TEST_LOG === '1' ? 'debug' : 'silent' });
}

/**
 * Probes the shared NATS server. Undefined when it answers. Otherwise, on CI
 * (CI=true) registers a failing test saying so, and returns the reason to
 * skip the dependent tests with; elsewhere it returns the reason, printed loudly.
 */
export async function natsSkipReason(): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 2_000, reconnect: false });
    await nc.close();
    return undefined;
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    const reason = `NATS at ${NATS_URL} is not reachable (${problem}); run \`nats-server -js -a 127.0.0.1 -p 4222\` or set SOTTO_NATS_URL`;
    if (ON_CI) {
      test('NATS is reachable (required when CI=true)', () => assert.fail(`CI=true but ${reason}`));
    } else {
      console.error(`\n!!! SKIPPING NATS TESTS: ${reason}\n`);
    }
    return reason;
  }
}

/**
 * A TCP relay between one node and the NATS server, so a test can cut that
 * node off (or silently drop its traffic, as a dead route would) while the
 * rest of the cluster stays connected.
 */
export class NatsLink {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private dropping = false;

  private constructor(
    private readonly target: URL,
    readonly port: number,
  ) {}

  static async open(targetUrl: string): Promise<NatsLink> {
    const link = new NatsLink(new URL(targetUrl), await freePort());
    await link.restore();
    return link;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Closes every relayed connection and refuses new ones, as a crashed route would. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Keeps connections open but drops every byte both ways: only pings can tell. */
  blackhole(): void {
    this.dropping = true;
  }

  /** Relays again; connections opened while black-holed are dropped first. */
  async restore(): Promise<void> {
    if (this.dropping) {
      this.dropping = false;
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    }
    if (this.server) return;
    const server = createServer((client) => this.relay(client));
    this.server = server;
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
  }

  private relay(client: Socket): void {
    const upstream = connectTcp(Number(this.target.port || 4222), this.target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (chunk) => {
        if (!this.dropping) to.write(chunk);
      });
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
      from.on('error', () => to.destroy());
    }
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls `check` every 20 ms for up to 5 s. */
export async function waitUntil(check: () => boolean | Promise<boolean>, message: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
