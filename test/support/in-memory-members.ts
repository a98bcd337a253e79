/**
 * @module test/support/in-memory-members
 * Real SottoClients against an in-memory server in this process: the engine with the Node ports
 * of @sotto/client-node (clock, randomness, node:crypto Ed25519 and HKDF), an in-memory profile
 * (MemoryClientStore) and the in-memory server's transport. The server does not import core; the
 * two transport shapes meet here.
 */
import { MemoryClientStore, SottoClient, type ClientDeps, type Transport } from '@sotto/core';
import { createStderrLogger, nodeClock, nodeEd25519, nodeHkdf, nodeRandom } from '@sotto/client-node';
import { startInMemoryServer, type InMemoryServer, type InMemoryServerOptions } from '@sotto/server/in-memory';

/** The engine's deps for one member of `server`, with a fresh in-memory profile. */
export function inMemoryClientDeps(server: InMemoryServer, overrides: Partial<ClientDeps> = {}): ClientDeps {
  const transport: Transport = server.transport;
  return {
    store: new MemoryClientStore(),
    transport,
    clock: nodeClock,
    random: nodeRandom,
    signature: nodeEd25519,
    hkdf: nodeHkdf,
    logger: createStderrLogger('client', 'silent'),
    reconnect: false,
    ...overrides,
  };
}

/** A registered, connected and synced member. */
export async function registerMember(server: InMemoryServer, username: string, overrides: Partial<ClientDeps> = {}): Promise<SottoClient> {
  const client = await SottoClient.register(inMemoryClientDeps(server, overrides), server.url, username);
  await client.connect();
  await client.sync();
  await client.idle();
  return client;
}

/** An in-memory server and the members registered on it; `close` closes them all. */
export interface InMemoryWorld {
  readonly server: InMemoryServer;
  readonly members: SottoClient[];
  close(): Promise<void>;
}

export async function startInMemoryWorld(usernames: readonly string[], options: InMemoryServerOptions = {}): Promise<InMemoryWorld> {
  const server = startInMemoryServer(options);
  const members: SottoClient[] = [];
  try {
    for (const username of usernames) members.push(await registerMember(server, username));
  } catch (error) {
    for (const member of members) await member.close();
    await server.close();
    throw error;
  }
  return {
    server,
    members,
    async close() {
      for (const member of members) await member.close();
      await server.close();
    },
  };
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
