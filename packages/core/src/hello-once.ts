/**
 * @module hello-once
 * One connection that only says hello and closes: how a profile gets its device from the server
 * before it has an identity to log in with (registering an account, or joining one through a
 * device link).
 */
import { create, HelloSchema, PROTOCOL_VERSION, SOFTWARE_VERSION, type Challenge, type HelloOk, type MessageInitShape } from '@sotto/protocol';
import type { Clock, Logger, Random, Transport } from './ports.js';
import { Session } from './session.js';

export interface HelloOnceDeps {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly clientVersion?: string;
}

/** Says hello with `auth`, signed by `sign` over the challenge; resolves with the server's HelloOk. */
export async function helloOnce(
  deps: HelloOnceDeps,
  serverUrl: string,
  auth: MessageInitShape<typeof HelloSchema>['auth'],
  sign: (challenge: Challenge) => Promise<Uint8Array>,
): Promise<HelloOk> {
  const probe = new Session({
    serverUrl,
    transport: deps.transport,
    clock: deps.clock,
    random: deps.random,
    logger: deps.logger,
    reconnect: false,
    hello: async (challenge) =>
      create(HelloSchema, { protocolVersion: PROTOCOL_VERSION, clientVersion: deps.clientVersion ?? SOFTWARE_VERSION, auth, signature: await sign(challenge) }),
    onDelivery: () => undefined,
    onNotice: () => undefined,
    onStateChange: () => undefined,
    onReady: () => undefined,
  });
  try {
    return await probe.open();
  } finally {
    probe.close();
  }
}
