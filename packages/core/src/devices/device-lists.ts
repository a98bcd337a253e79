/**
 * @module devices/device-lists
 * The signed device lists this device trusts: its own account's and each contact's. A list is
 * taken from the server only after protocol's rules (`checkSuccessor`) pass against the version
 * already trusted, so the server can withhold a change but never add a device the account did
 * not. The first list seen of a contact is trusted on first use, like a key (the safety number
 * is how a member checks it); the first of this device's own account comes sealed from the
 * device that linked it (or is the genesis this device signed itself).
 *
 * Lists are kept in the member's settings (`deviceLists`: account → the signed version's bytes),
 * which every client store already persists; the pins (device → key) that MLS credentials are
 * checked against are written from them.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  checkChain,
  checkDeviceList,
  checkSuccessor,
  create,
  DeviceListSchema,
  deviceListChanges,
  deviceListTranscript,
  encodeDeviceList,
  ErrorCode,
  FrameType,
  fromBinary,
  GetDeviceListSchema,
  ListedDeviceSchema,
  ProtocolError,
  PublishDeviceListSchema,
  SignedDeviceListSchema,
  toBinary,
  type CheckedDeviceList,
  type DeviceListCrypto,
  type ListedDevice,
  type SignedDeviceList,
} from '@sotto/protocol';
import { equalBytes, fromBase64Url, toBase64Url } from '../bytes.js';
import { deviceNotices } from './device-notices.js';
import type { EngineContext } from '../context.js';
import { ClientError, RemoteError } from '../errors.js';

/** Ed25519 as RFC 8032 has it (not ZIP-215's looser rules), like the server's OpenSSL. */
export const deviceListCrypto: DeviceListCrypto = {
  verify(publicKey, message, signature) {
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  sha256: (bytes) => sha256(bytes),
};

/** A trusted list changed: devices added or removed (the first sight of an account adds all of its). */
export interface DeviceListChange {
  readonly username: string;
  readonly version: bigint;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly firstSight: boolean;
}

/** Why a list was refused, for the member's warning (never key material). */
export interface DeviceListWarning {
  readonly username: string;
  readonly reason: string;
}

/** A list already trusted, rebuilt from its stored bytes (it was checked when it was stored). */
function fromStored(bytes: Uint8Array): CheckedDeviceList {
  const signed = fromBinary(SignedDeviceListSchema, bytes);
  return { signed, list: fromBinary(DeviceListSchema, signed.list), hash: sha256(signed.list) };
}

export class DeviceLists {
  constructor(
    private readonly ctx: EngineContext,
    private readonly sign: (data: Uint8Array) => Promise<Uint8Array>,
  ) {}

  private onChange(change: DeviceListChange): void {
    this.ctx.events.didChangeDevices.fire(change);
  }

  private onWarning(warning: DeviceListWarning): void {
    this.ctx.events.didWarnDevices.fire(warning);
  }

  /**
   * The trusted lists read so far, by account. This class is the only writer of the stored lists,
   * so the copy stays true; it keeps MLS credential checks (one per member in a commit or Welcome)
   * from reading and decoding the settings each time.
   */
  private readonly trusted = new Map<string, CheckedDeviceList>();

  /** The list trusted for `username`, if this device has one. */
  async known(username: string): Promise<CheckedDeviceList | undefined> {
    const cached = this.trusted.get(username);
    if (cached) return cached;
    const stored = (await this.ctx.store.getSettings()).deviceLists?.[username];
    const bytes = stored === undefined ? undefined : fromBase64Url(stored);
    const list = bytes && fromStored(bytes);
    if (list) this.trusted.set(username, list);
    return list;
  }

  /** The list of `username`, fetched from the server (and trusted on first use) if none is known. */
  async current(username: string): Promise<CheckedDeviceList | undefined> {
    return (await this.known(username)) ?? (await this.refresh(username));
  }

  /** Whether `deviceId` is in `username`'s trusted list with exactly this key. */
  async isListed(username: string, deviceId: string, identityKey?: Uint8Array): Promise<boolean> {
    const list = await this.current(username);
    const device = list?.list.devices.find((d) => d.deviceId === deviceId);
    return device !== undefined && (identityKey === undefined || equalBytes(device.identityKey, identityKey));
  }

  /** Asks the server for the versions after the trusted one and takes those that check out. */
  async refresh(username: string): Promise<CheckedDeviceList | undefined> {
    const known = await this.known(username);
    const result = await this.ctx.session.request(FrameType.GET_DEVICE_LIST, create(GetDeviceListSchema, { username, afterVersion: known?.list.version ?? 0n }));
    if (result.case !== 'deviceLists') throw new ClientError('REMOTE', 'Unexpected answer to get device list.');
    if (result.value.lists.length === 0) return known;
    return this.adopt(username, known, result.value.lists);
  }

  /** A DEVICE_LIST delivery: a new version of `username`'s list, checked against the trusted one. */
  async receive(username: string, signed: SignedDeviceList): Promise<CheckedDeviceList | undefined> {
    const known = await this.known(username);
    if (known) {
      const version = fromBinary(DeviceListSchema, signed.list).version;
      if (version <= known.list.version) return known; // an old version, replayed or late: nothing new
      if (version > known.list.version + 1n) return this.refresh(username); // versions were missed: fetch the chain
    }
    return this.adopt(username, known, [signed]);
  }

  /**
   * Signs and publishes the next version of this account's list with `devices`; the server takes
   * it only as the successor of the version it holds. Returns the new version, trusted here.
   */
  async publishNext(devices: readonly ListedDevice[]): Promise<CheckedDeviceList> {
    const me = this.ctx.identity;
    const known = await this.known(me.username);
    const list = create(DeviceListSchema, {
      username: me.username,
      version: (known?.list.version ?? 0n) + 1n,
      devices: [...devices],
      previousHash: known?.hash ?? new Uint8Array(),
      signedAt: BigInt(this.ctx.clock.now()),
    });
    const bytes = encodeDeviceList(list);
    const signed = create(SignedDeviceListSchema, { list: bytes, signerDeviceId: me.deviceId, signature: await this.sign(deviceListTranscript(bytes)) });
    const checked = known ? checkSuccessor(known, signed, deviceListCrypto) : checkDeviceList(signed, deviceListCrypto);
    await this.ctx.session.request(FrameType.PUBLISH_DEVICE_LIST, create(PublishDeviceListSchema, { list: signed }));
    await this.store(me.username, checked, known);
    return checked;
  }

  /**
   * Makes sure this account has a list: the server holds none (an account from before linked
   * devices, or a registration whose genesis was lost), so this device, the only one, signs
   * version 1 naming itself.
   */
  async ensureOwn(serverVersion: bigint): Promise<void> {
    const me = this.ctx.identity;
    const known = await this.known(me.username);
    if (serverVersion === 0n && !known) {
      await this.publishNext([create(ListedDeviceSchema, { deviceId: me.deviceId, identityKey: me.publicKey })]).catch((error: unknown) => {
        // Another device of the account may have published first: fetch rather than fight.
        if (!(error instanceof RemoteError && error.wireCode === ErrorCode.STALE_DEVICE_LIST)) throw error;
      });
      return;
    }
    if (known === undefined || serverVersion > known.list.version) await this.refresh(me.username);
  }

  /** Trusts a list that came sealed from the device that linked this one. */
  async trustLinked(checked: CheckedDeviceList): Promise<void> {
    await this.store(checked.list.username, checked, undefined);
  }

  private async adopt(username: string, known: CheckedDeviceList | undefined, run: readonly SignedDeviceList[]): Promise<CheckedDeviceList | undefined> {
    let next: CheckedDeviceList;
    try {
      if (known) next = checkChain(known, run, deviceListCrypto);
      else {
        // First sight: the newest version is trusted on first use (the safety number checks it).
        const newest = run[run.length - 1]!;
        next = checkDeviceList(newest, deviceListCrypto);
      }
    } catch (error) {
      const reason = error instanceof ProtocolError ? error.message : 'the list does not check out';
      this.onWarning({ username, reason });
      this.ctx.logger.warn({ code: error instanceof ProtocolError ? error.code : 'unknown' }, 'device list refused');
      return known;
    }
    if (next.list.username !== username) {
      this.onWarning({ username, reason: 'The server handed out another account\'s device list.' });
      return known;
    }
    if (username === this.ctx.identity.username && !next.list.devices.some((d) => d.deviceId === this.ctx.identity.deviceId)) {
      // This device was removed from its own account: it keeps what it has and learns no more.
      this.onWarning({ username, reason: 'This device was removed from the account by another of its devices.' });
    }
    await this.store(username, next, known);
    return next;
  }

  private async store(username: string, next: CheckedDeviceList, before: CheckedDeviceList | undefined): Promise<void> {
    const settings = await this.ctx.store.getSettings();
    const pins = await this.ctx.store.listPins(username);
    for (const device of next.list.devices) {
      const pin = pins.find((p) => p.deviceId === device.deviceId);
      if (pin && !equalBytes(pin.identityKey, device.identityKey)) {
        this.onWarning({ username, reason: `A device of ${username} now has another key. Verify the safety number.` });
      }
    }
    const fresh = next.list.devices.filter((d) => !pins.some((p) => p.deviceId === d.deviceId));
    // The first list of an account whose devices this device already knew (pinned from earlier
    // conversations) is news where it differs from them: a device the member never saw.
    const pinnedIds = pins.map((p) => p.deviceId);
    const changes = before
      ? deviceListChanges(before.list, next.list)
      : { added: next.list.devices.map((d) => d.deviceId).filter((id) => pins.length === 0 || !pinnedIds.includes(id)), removed: [] };
    const change: DeviceListChange = { username, version: next.list.version, ...changes, firstSight: before === undefined && pins.length === 0 };
    // A contact's change is written into the chat with them, in the same write that trusts it.
    const notices = username === this.ctx.identity.username ? [] : deviceNotices(change, await this.ctx.store.listConversations(), this.ctx.clock.now(), settings.verified?.[username] !== undefined);
    await this.ctx.store.apply({
      settings: { deviceLists: { ...settings.deviceLists, [username]: toBase64Url(toBinary(SignedDeviceListSchema, next.signed)) } },
      pins: fresh.map((d) => ({ username, deviceId: d.deviceId, identityKey: d.identityKey })),
      messages: notices,
    });
    this.trusted.set(username, next);
    if (changes.added.length > 0 || changes.removed.length > 0) this.onChange(change);
    for (const notice of notices) this.ctx.events.didReceiveMessage.fire(notice);
  }
}
