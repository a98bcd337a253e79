/** @module services/devices */
// Linked devices, the server's half (PROTOCOL.md "Linked devices"): one-time links a new device
// joins an account through, the account's signed device list (checked with protocol's rules,
// stored, and sent to the account's devices and its contacts' devices), and the sealed bundle
// the linking device sends the new one. The server never sees a link's secret and holds no key
// of the account: it can refuse or delay a list, never make one.
import { createHash, randomBytes } from 'node:crypto';
import {
  authTranscript,
  checkDeviceList,
  checkSuccessor,
  ContactState,
  create,
  decodeSignedDeviceList,
  DeliveryKind,
  DeviceLinkRequestSchema,
  ErrorCode,
  LIMITS,
  ProtocolError,
  SignedDeviceListSchema,
  toBinary,
  type CheckedDeviceList,
  type DeviceListCrypto,
  type SignedDeviceList,
} from '@sotto/protocol';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import { errorSummary, shortDevice, type Logger } from '../logger.js';
import type { RatePolicy } from '../rate-limits/rate-policy.js';
import type { Store } from '../storage/store.js';
import type { DeviceAddress, DeviceRecord, MailItem } from '../storage/types.js';
import type { Caller } from './caller.js';
import type { MailNotifier } from './mail-notifier.js';
import { verifyEd25519 } from './signature.js';
import { invalid, requireBytes, requireUsername } from './validate.js';

/** The same id format as a registered device's (accounts.ts): 8 random bytes as hex. */
const DEVICE_ID_BYTES = 8;
const MESSAGE_ID_BYTES = 16;

const CRYPTO: DeviceListCrypto = {
  verify: verifyEd25519,
  sha256: (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()),
};

export interface LinkHello {
  readonly linkId: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly sealed: Uint8Array;
  /** The connection's challenge nonce. */
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
  /** The client's limiting address key, if limited by address. */
  readonly address?: string;
}

/** Where a device stands in its account's list, for its HelloOk. */
export interface DeviceListState {
  /** Linked but not yet in a published list. */
  readonly linking: boolean;
  /** The newest stored version of the account's list (0n: none yet). */
  readonly version: bigint;
}

export interface DevicesOptions {
  readonly store: Store;
  readonly notifier: MailNotifier;
  readonly bus: Bus;
  readonly now: Clock;
  readonly rates: RatePolicy;
  readonly log: Logger;
}

/** The rules of protocol/device-list.ts throw ProtocolErrors; the gateway speaks ServerErrors. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ProtocolError) throw new ServerError(error.code, error.message);
    throw error;
  }
}

export class DevicesService {
  constructor(private readonly options: DevicesOptions) {}

  private get store(): Store {
    return this.options.store;
  }

  async state(device: DeviceAddress): Promise<DeviceListState> {
    const [listed, version] = await Promise.all([this.store.isDeviceListed(device), this.store.newestDeviceListVersion(device.username)]);
    return { linking: !listed, version };
  }

  /** A one-time link for a new device of the caller's account, valid LIMITS.deviceLinkTtlMs. */
  async createLink(caller: Caller): Promise<{ linkId: Uint8Array; expiresAt: number }> {
    if (!(await this.store.isDeviceListed(caller.device))) throw invalid('A device that is still being linked cannot link another one.');
    const linkId = new Uint8Array(randomBytes(LIMITS.deviceLinkIdBytes));
    const now = this.options.now();
    const expiresAt = now + LIMITS.deviceLinkTtlMs;
    await this.store.createDeviceLink(caller.device, linkId, expiresAt, now);
    this.options.log.info({ device: shortDevice(caller.device) }, 'device link created');
    return { linkId, expiresAt };
  }

  /**
   * A new device's hello through a link: sizes first, then its proof of the key, then the
   * register rate (a link is a registration by another name), then the link used up. Its creator
   * is sent the DEVICE_LINK_REQUEST; returns the new (unlisted) device.
   */
  async link(hello: LinkHello): Promise<DeviceRecord> {
    requireBytes(hello.linkId, LIMITS.deviceLinkIdBytes, 'link_id');
    requireBytes(hello.identityKey, LIMITS.identityKeyBytes, 'identity_key');
    if (hello.sealed.byteLength === 0 || hello.sealed.byteLength > LIMITS.linkRequestSealedMaxBytes) {
      throw invalid(`sealed must be 1 to ${LIMITS.linkRequestSealedMaxBytes} bytes.`);
    }
    const transcript = authTranscript(hello.nonce, '', Buffer.from(hello.linkId).toString('hex'));
    if (!verifyEd25519(hello.identityKey, transcript, hello.signature)) {
      throw new ServerError(ErrorCode.BAD_SIGNATURE, 'The signature does not verify with the identity key being linked.');
    }
    await this.options.rates.take('register', hello.address !== undefined ? { address: hello.address } : {});
    const now = this.options.now();
    const deviceId = randomBytes(DEVICE_ID_BYTES).toString('hex');
    const payload = toBinary(
      DeviceLinkRequestSchema,
      create(DeviceLinkRequestSchema, { linkId: hello.linkId, deviceId, identityKey: hello.identityKey, sealed: hello.sealed }),
    );
    const used = await this.store.useDeviceLink(
      hello.linkId,
      { deviceId, identityKey: hello.identityKey },
      { messageId: new Uint8Array(randomBytes(MESSAGE_ID_BYTES)), payload },
      now,
    );
    await this.options.notifier.stored(used.mail);
    const device = { username: used.username, deviceId };
    this.options.log.info({ device: shortDevice(device), creator: shortDevice(used.creator) }, 'device linked');
    return { ...device, identityKey: hello.identityKey, createdAt: now };
  }

  /**
   * The next version of the caller's account's list. Checked with protocol's rules against the
   * stored newest version, stored (compare-and-set), sent to the account's devices and its
   * accepted contacts' devices; the devices it leaves out are deleted and their connections closed.
   */
  async publish(caller: Caller, signed: SignedDeviceList | undefined): Promise<void> {
    const me = caller.device;
    if (!signed) throw invalid('A device list is required.');
    const shape = checked(() => checkDeviceList(signed, CRYPTO));
    if (shape.list.username !== me.username) throw invalid("A device publishes only its own account's list.");
    if (!(await this.store.isDeviceListed(me))) throw invalid('A device that is not in the device list yet cannot publish one.');
    const next = await this.successor(me, shape, signed);
    const bytes = toBinary(SignedDeviceListSchema, signed);
    const removed = await this.store.publishDeviceList({
      username: me.username,
      version: next.list.version,
      signed: bytes,
      listed: next.list.devices.map((d) => ({ deviceId: d.deviceId, identityKey: d.identityKey })),
      now: this.options.now(),
    });
    this.options.log.info({ device: shortDevice(me), version: Number(next.list.version), removed: removed.length }, 'device list published');
    await Promise.all(removed.map((device) => this.closeRemoved(device)));
    await this.fanOut(me, bytes);
  }

  /** Version 1 stands alone (naming the caller, the account's only device); later ones follow the stored newest. */
  private async successor(me: DeviceAddress, shape: CheckedDeviceList, signed: SignedDeviceList): Promise<CheckedDeviceList> {
    const newest = await this.store.newestDeviceListVersion(me.username);
    if (newest === 0n) {
      if (shape.list.version !== 1n) throw new ServerError(ErrorCode.STALE_DEVICE_LIST, `This account has no device list yet; the first is version 1.`);
      const devices = await this.store.listDevices(me.username);
      if (shape.list.devices[0]?.deviceId !== me.deviceId || devices.length !== 1) {
        throw invalid("Version 1 of a device list names the account's only device, and that device publishes it.");
      }
      return shape;
    }
    const [stored] = await this.store.deviceLists(me.username, 0n, 1);
    if (!stored) throw new ServerError(ErrorCode.STALE_DEVICE_LIST);
    const previous = checked(() => checkDeviceList(decodeSignedDeviceList(stored.signed), CRYPTO));
    return checked(() => checkSuccessor(previous, signed, CRYPTO));
  }

  private async closeRemoved(device: DeviceAddress): Promise<void> {
    try {
      await this.options.bus.publish(device, { kind: 'removed' });
    } catch (error) {
      // The device row is gone: a connection that missed this is refused at its next request's store lookup or login.
      this.options.log.warn({ err: errorSummary(error) }, 'could not announce a removed device');
    }
  }

  /** The new version, to every device of the account and of each accepted contact. */
  private async fanOut(me: DeviceAddress, payload: Uint8Array): Promise<void> {
    const item: MailItem = {
      kind: DeliveryKind.DEVICE_LIST,
      sender: me,
      groupId: new Uint8Array(0),
      messageId: new Uint8Array(randomBytes(MESSAGE_ID_BYTES)),
      payload,
      epoch: 0n,
    };
    const now = this.options.now();
    const contacts = (await this.store.listContacts(me.username)).filter((c) => c.state === ContactState.ACCEPTED).map((c) => c.peer);
    for (const username of [me.username, ...contacts]) {
      const mail = await this.store.putSystemMail(username, item, now);
      await this.options.notifier.stored(mail);
    }
  }

  /**
   * The caller's own account's list, or an accepted contact's: `afterVersion` 0n gives the
   * newest; else the versions after it, oldest first, at most LIMITS.deviceListChainMax.
   */
  async lists(caller: Caller, username: string, afterVersion: bigint): Promise<SignedDeviceList[]> {
    requireUsername(username);
    if (username !== caller.device.username) {
      // The target's view of the caller, as for claims: a block on their side refuses it too.
      const contact = await this.store.getContact(username, caller.device.username);
      if (contact?.state !== ContactState.ACCEPTED) throw new ServerError(ErrorCode.NOT_A_CONTACT);
    }
    const stored = await this.store.deviceLists(username, afterVersion, LIMITS.deviceListChainMax);
    return stored.map((s) => decodeSignedDeviceList(s.signed));
  }

  /** The link creator's sealed bundle, delivered to the device the link made, once. */
  async sendBundle(caller: Caller, linkId: Uint8Array, sealed: Uint8Array): Promise<void> {
    requireBytes(linkId, LIMITS.deviceLinkIdBytes, 'link_id');
    if (sealed.byteLength === 0 || sealed.byteLength > LIMITS.linkBundleSealedMaxBytes) {
      throw invalid(`sealed must be 1 to ${LIMITS.linkBundleSealedMaxBytes} bytes.`);
    }
    const mail = await this.store.deliverLinkBundle(
      caller.device,
      linkId,
      { messageId: new Uint8Array(randomBytes(MESSAGE_ID_BYTES)), payload: sealed },
      this.options.now(),
    );
    await this.options.notifier.stored(mail);
  }
}
