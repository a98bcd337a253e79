/**
 * @module gateway/hello
 * A connection's awaiting-hello state and the hello exchange: the challenge a new connection is
 * sent, the checks a HELLO passes (protocol version, client version, then register, login or a
 * device link against the challenge's nonce), what a failed one costs (three and the connection is closed; an
 * old client is closed at once), and the hello answer that tells the device where it stands.
 */
import { randomBytes } from 'node:crypto';
import {
  ChallengeSchema,
  create,
  ErrorCode,
  FrameType,
  HelloOkSchema,
  LIMITS,
  LockdownStateSchema,
  missingCase,
  PROTOCOL_VERSION,
  SOFTWARE_VERSION,
  type FrameBody,
  type HelloOk,
} from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { errorSummary, shortId, type Logger } from '../logger.js';
import type { Services } from '../services/services.js';
import type { DeviceRecord } from '../storage/types.js';
import { CloseCode } from './close-codes.js';
import type { FrameWriter } from './frame-writer.js';

/** Failed hellos tolerated on one connection before it is closed. */
export const MAX_FAILED_HELLOS = 3;
/** An unauthenticated connection holds resources for at most this long. */
export const HELLO_TIMEOUT_MS = 30_000;

/** The CHALLENGE a new connection is sent: the nonce its hello must sign, and the server's terms. */
async function challengeFor(services: Services, nonce: Uint8Array): Promise<FrameBody<FrameType.CHALLENGE>> {
  const { accounts } = services;
  const [minClientVersion, inviteRequired] = await Promise.all([accounts.minClientVersion(), accounts.inviteRequired()]);
  return create(ChallengeSchema, { nonce, protocolVersion: PROTOCOL_VERSION, serverVersion: SOFTWARE_VERSION, minClientVersion, inviteRequired });
}

/** The device a HELLO proves, registering it if it asks to; throws a ServerError saying why not. */
async function authenticate(
  services: Services,
  hello: FrameBody<FrameType.HELLO>,
  nonce: Uint8Array,
  limitingAddress: { readonly address?: string },
): Promise<DeviceRecord> {
  const { accounts } = services;
  if (hello.protocolVersion !== PROTOCOL_VERSION) {
    throw new ServerError(
      ErrorCode.UNSUPPORTED_PROTOCOL,
      `This server speaks protocol version ${PROTOCOL_VERSION}; the client sent ${hello.protocolVersion}.`,
    );
  }
  await accounts.checkClientVersion(hello.clientVersion);
  const auth = hello.auth;
  switch (auth.case) {
    case 'register':
      return accounts.register({ ...auth.value, nonce, signature: hello.signature, ...limitingAddress });
    case 'login':
      return accounts.login({ ...auth.value, nonce, signature: hello.signature });
    case 'link':
      return services.devices.link({ ...auth.value, nonce, signature: hello.signature, ...limitingAddress });
    case undefined:
      throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'A hello needs login, register or link.');
    default:
      throw missingCase(auth);
  }
}

/**
 * What an authenticated device is told: its key packages, the advisories, its lockdown and
 * restriction, where it stands in its account's signed device list, and the key to subscribe to
 * Web Push with (empty when push is off).
 */
export async function helloOkFor(
  services: Services,
  device: DeviceRecord,
  keyPackages: { readonly remaining: number; readonly low: boolean },
): Promise<HelloOk> {
  const [board, lockdown, restricted, devices, vapidPublicKey] = await Promise.all([
    services.advisories.current(),
    services.lockdown.get(device.username),
    services.restrictions.isRestricted(device.username),
    services.devices.state(device),
    services.push.publicKey(),
  ]);
  return create(HelloOkSchema, {
    username: device.username,
    deviceId: device.deviceId,
    keyPackagesRemaining: keyPackages.remaining,
    keyPackagesLow: keyPackages.low,
    advisoryKey: board.key,
    advisories: [...board.advisories],
    lockdown: create(LockdownStateSchema, { enabled: lockdown.enabled, refused: lockdown.refused }),
    restricted,
    linking: devices.linking,
    deviceListVersion: devices.version,
    ...(vapidPublicKey ? { vapidPublicKey } : {}),
  });
}

/** What the handshake needs of its connection. */
export interface HandshakeOwner {
  /** The key rate limits count the client's address by, if any (registrations are limited by it). */
  readonly limitingAddress: { readonly address?: string };
  readonly log: Logger;
  close(code: number, reason: string): void;
}

/**
 * The awaiting-hello state of one connection. It holds only what the hello needs (nonce, count,
 * timer) and is dropped once the device is proven: an idle authenticated connection keeps none of it.
 */
export class HelloHandshake {
  /** The challenge this connection's hello must sign. */
  private readonly nonce = new Uint8Array(randomBytes(LIMITS.nonceBytes));
  private failedHellos = 0;
  private readonly timer: NodeJS.Timeout;
  private over = false;

  constructor(
    private readonly services: Services,
    private readonly out: FrameWriter,
    private readonly owner: HandshakeOwner,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => owner.close(CloseCode.HELLO_TIMEOUT, 'no hello in time'), timeoutMs);
    this.timer.unref();
  }

  /** The connection was authenticated or closed. */
  stop(): void {
    this.over = true;
    clearTimeout(this.timer);
  }

  async sendChallenge(): Promise<void> {
    try {
      const challenge = await challengeFor(this.services, this.nonce);
      if (this.over) return;
      this.out.sendFrame(FrameType.CHALLENGE, 0, challenge);
    } catch (error) {
      this.owner.log.error({ err: errorSummary(error) }, 'could not send the challenge');
      this.owner.close(CloseCode.SERVER_ERROR, 'server error');
    }
  }

  /**
   * The device a HELLO proves. A failure below the limit throws, to be answered like any request;
   * one that closes the connection is answered here and gives undefined.
   */
  async prove(id: number, hello: FrameBody<FrameType.HELLO>): Promise<DeviceRecord | undefined> {
    try {
      return await authenticate(this.services, hello, this.nonce, this.owner.limitingAddress);
    } catch (error) {
      if (error instanceof ServerError && error.code === ErrorCode.UPDATE_REQUIRED) {
        this.out.sendError(id, error);
        this.owner.close(CloseCode.UPDATE_REQUIRED, 'update required');
        return undefined;
      }
      this.failedHellos += 1;
      if (this.failedHellos < MAX_FAILED_HELLOS) throw error;
      this.out.sendError(id, error);
      // A digest of the targeted name lets an operator see repeated attempts on one account without naming it.
      const target = hello.auth.case === 'login' || hello.auth.case === 'register' ? shortId(hello.auth.value.username) : undefined;
      this.owner.log.info({ target }, 'too many failed hellos; closing');
      this.owner.close(CloseCode.AUTH_FAILED, 'too many failed hellos');
      return undefined;
    }
  }
}
