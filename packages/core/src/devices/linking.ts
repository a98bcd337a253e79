/**
 * @module devices/linking
 * Linking a new device to this account, from both ends.
 *
 * The existing device opens a link (the server gives it an id; the secret stays here) and shows
 * the code. The new device says hello with the link id, its identity key, and that key sealed
 * with the secret. The server hands the existing device a DEVICE_LINK_REQUEST; the existing device
 * opens the seal, and only if the key inside is the key outside does it sign the next version of
 * the account's device list with the new device in it. It then seals a bundle for the new device
 * (the account, that list, and what each conversation is) and adds the device to every one of
 * the account's conversations. The new device trusts its account's list from the bundle, which
 * only the code's holder could seal, not from the server.
 */
import {
  create,
  deviceListTranscript,
  DeviceLinkRequestSchema,
  FrameType,
  fromBinary,
  LIMITS,
  LinkBundleSchema,
  LinkedMessageSchema,
  ListedDeviceSchema,
  SendLinkBundleSchema,
  toBinary,
  checkDeviceList,
  CreateDeviceLinkSchema,
  type CheckedDeviceList,
  type Delivery,
  type DeviceLinkRequest,
  type LinkBundle,
  type LinkedMessage,
} from '@sotto/protocol';
import { equalBytes, fromBase64Url, fromHex, toBase64Url, toHex } from '../bytes.js';
import type { EngineContext } from '../context.js';
import type { Conversations } from '../conversations.js';
import { ClientError } from '../errors.js';
import { deviceListCrypto, type DeviceLists } from './device-lists.js';
import { formatLinkCode, type LinkCode } from './link-code.js';
import { openFromLink, sealForLink } from './link-seal.js';

/** A link this device opened, waiting for the new device. */
export interface OpenLink {
  /** What the member types or scans on the new device. */
  readonly code: string;
  readonly expiresAt: number;
  /** Settles when the new device is in the account's list and its conversations (or the link expired). */
  readonly linked: Promise<LinkedDevice>;
}

export interface LinkedDevice {
  readonly deviceId: string;
  /** Conversations the new device was added to. */
  readonly conversations: number;
}

export interface LinkOptions {
  /** Pass recent messages on to the new device (sealed to it like the rest of the bundle). */
  readonly history?: boolean;
}

interface PendingLink {
  readonly code: LinkCode;
  readonly expiresAt: number;
  readonly history: boolean;
  resolve(device: LinkedDevice): void;
  reject(error: Error): void;
  timer: unknown;
}

/** How long the linking device tries to claim the new device's first key package (it uploads right after its hello). */
const CLAIM_PATIENCE_MS = 20_000;
/** Recent messages per conversation a history bundle carries, newest first until the budget is spent. */
const HISTORY_PER_CONVERSATION = 50;
/** The history's share of the sealed bundle (whose limit is LIMITS.linkBundleSealedMaxBytes). */
const HISTORY_BUDGET_BYTES = 96 * 1024;
export const HISTORY_MAX_MESSAGES = 2000;

export class DeviceLinking {
  private readonly open = new Map<string, PendingLink>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly lists: DeviceLists,
    private readonly conversations: Conversations,
    /** Runs once a new device is in every conversation: the member's settings follow it there. */
    private readonly afterLinked: () => Promise<void> = async () => undefined,
  ) {}

  // ---- on the existing device ----

  async create(options: LinkOptions = {}): Promise<OpenLink> {
    await this.lists.ensureOwn(0n).catch(() => undefined);
    const own = await this.lists.current(this.ctx.identity.username);
    if (own && own.list.devices.length >= LIMITS.maxDevicesPerAccount) {
      throw new ClientError('INVALID_INPUT', `This account already has ${LIMITS.maxDevicesPerAccount} devices; remove one before linking another.`);
    }
    const result = await this.ctx.session.request(FrameType.CREATE_DEVICE_LINK, create(CreateDeviceLinkSchema));
    if (result.case !== 'deviceLink') throw new ClientError('REMOTE', 'Unexpected answer to create a device link.');
    const code: LinkCode = { linkId: result.value.linkId, secret: this.ctx.random.bytes(LIMITS.deviceLinkSecretBytes) };
    const expiresAt = Number(result.value.expiresAt);
    const linked = new Promise<LinkedDevice>((resolve, reject) => {
      const key = toHex(code.linkId);
      const pending: PendingLink = { code, expiresAt, history: options.history ?? false, resolve, reject, timer: undefined };
      pending.timer = this.ctx.clock.setTimeout(() => {
        this.open.delete(key);
        reject(new ClientError('TIMEOUT', 'The link code expired before a new device used it. Make a new one.'));
      }, Math.max(0, expiresAt - this.ctx.clock.now()));
      this.open.set(key, pending);
    });
    return { code: formatLinkCode(code), expiresAt, linked };
  }

  /**
   * A DEVICE_LINK_REQUEST from the server. Returns why it was refused (for the inbox's drop), or
   * the work to do once the entry is acknowledged.
   */
  checkRequest(delivery: Delivery): { refused: string } | { complete: () => Promise<void> } {
    if (delivery.senderUsername !== this.ctx.identity.username) return { refused: 'device link request for another account' };
    if (delivery.payload.byteLength > LIMITS.linkRequestSealedMaxBytes + 256) return { refused: 'device link request too large' };
    let request: DeviceLinkRequest;
    try {
      request = fromBinary(DeviceLinkRequestSchema, delivery.payload);
    } catch {
      return { refused: 'device link request does not decode' };
    }
    const pending = this.open.get(toHex(request.linkId));
    if (!pending) return { refused: 'device link request for no link this device opened' };
    let sealedKey: Uint8Array;
    try {
      sealedKey = openFromLink(pending.code, 'request', request.sealed);
    } catch {
      this.warn('A device tried to link to your account without your code (what it sent was not sealed with it). Nothing was linked.');
      return { refused: 'device link request not sealed with the code' };
    }
    if (!equalBytes(sealedKey, request.identityKey) || request.identityKey.byteLength !== LIMITS.identityKeyBytes) {
      this.warn('The server offered a device key other than the one the new device sealed with your code. Nothing was linked.');
      return { refused: 'device link request key does not match its seal' };
    }
    this.open.delete(toHex(request.linkId));
    this.ctx.clock.clearTimeout(pending.timer);
    return {
      complete: () => this.complete(pending, request).then(pending.resolve, (error: unknown) => pending.reject(error instanceof Error ? error : new Error(String(error)))),
    };
  }

  private async complete(link: PendingLink, request: DeviceLinkRequest): Promise<LinkedDevice> {
    const me = this.ctx.identity.username;
    const own = (await this.lists.current(me))!;
    const devices = [...own.list.devices, create(ListedDeviceSchema, { deviceId: request.deviceId, identityKey: request.identityKey })];
    const listed = await this.lists.publishNext(devices);
    const active = (await this.ctx.store.listConversations()).filter((c) => c.active);
    const conversations = active.slice(0, 1000);
    const bundle = create(LinkBundleSchema, {
      username: me,
      list: listed.signed,
      conversations: conversations.map((c) => ({ groupId: fromHex(c.groupId), direct: c.kind === 'direct', ownDevices: c.kind === 'self', name: c.name })),
      history: link.history ? await this.recentHistory(conversations.map((c) => c.groupId)) : [],
    });
    const sealed = sealForLink(link.code, 'bundle', toBinary(LinkBundleSchema, bundle));
    await this.ctx.session.request(FrameType.SEND_LINK_BUNDLE, create(SendLinkBundleSchema, { linkId: request.linkId, sealed }));
    let added = 0;
    for (const conversation of active) {
      if (await this.addWithPatience(conversation.groupId, request.deviceId)) added += 1;
    }
    // Best effort: a device that misses them now gets them with the next change of a setting.
    await this.afterLinked().catch((error: unknown) => this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'settings not passed on to the new device'));
    return { deviceId: request.deviceId, conversations: added };
  }

  /** The newest messages of each conversation, within the bundle's budget. */
  private async recentHistory(groupIds: readonly string[]): Promise<LinkedMessage[]> {
    const history: LinkedMessage[] = [];
    let bytes = 0;
    for (const groupId of groupIds) {
      for (const m of await this.ctx.store.listMessages(groupId, HISTORY_PER_CONVERSATION)) {
        const entry = create(LinkedMessageSchema, {
          groupId: fromHex(m.groupId), messageId: fromHex(m.messageId), sender: m.sender, senderDevice: m.senderDevice, body: m.body, sentAt: BigInt(m.sentAt), outgoing: m.outgoing, read: !m.outgoing && m.status === 'read',
        });
        bytes += toBinary(LinkedMessageSchema, entry).byteLength + 4;
        if (bytes > HISTORY_BUDGET_BYTES || history.length >= HISTORY_MAX_MESSAGES) return history;
        history.push(entry);
      }
    }
    return history;
  }

  /** The new device uploads its key packages right after its hello: wait a little for the first. */
  private async addWithPatience(groupId: string, deviceId: string): Promise<boolean> {
    const deadline = this.ctx.clock.now() + CLAIM_PATIENCE_MS;
    for (;;) {
      const conversation = await this.ctx.store.getConversation(groupId);
      if (!conversation?.active) return false;
      const result = await this.conversations.addOwnDevices(conversation, [deviceId]);
      if (result !== 'no-key-package') return result === 'added';
      if (this.ctx.clock.now() > deadline) throw new ClientError('TIMEOUT', 'The new device uploaded no key package in time; it was not added to every conversation.');
      await new Promise((resolve) => this.ctx.clock.setTimeout(() => resolve(undefined), 250));
    }
  }

  /** The client is closing: every open link fails now (its code would be useless without this device). */
  closeAll(): void {
    for (const [key, pending] of this.open) {
      this.ctx.clock.clearTimeout(pending.timer);
      pending.reject(new ClientError('NOT_CONNECTED', 'This device closed before a new device used the code.'));
      this.open.delete(key);
    }
  }

  // ---- on the new device ----

  /**
   * The bundle the linking device sealed for this one. Returns the settings to store, or why it
   * was refused. Only a device waiting for a bundle (its settings hold the link) takes one.
   */
  async checkBundle(delivery: Delivery): Promise<{ refused: string } | { accepted: LinkBundle }> {
    const settings = await this.ctx.store.getSettings();
    const linking = settings.linking;
    if (!linking || linking.linkId === '') return { refused: 'link bundle while not linking' };
    if (delivery.payload.byteLength > LIMITS.linkBundleSealedMaxBytes) return { refused: 'link bundle too large' };
    const code: LinkCode = { linkId: fromBase64Url(linking.linkId) ?? new Uint8Array(), secret: fromBase64Url(linking.secret) ?? new Uint8Array() };
    let bundle: LinkBundle;
    try {
      bundle = fromBinary(LinkBundleSchema, openFromLink(code, 'bundle', delivery.payload));
    } catch {
      this.warn('A link bundle arrived that was not sealed with your code; it was ignored.');
      return { refused: 'link bundle not sealed with the code' };
    }
    const me = this.ctx.identity;
    if (bundle.username !== me.username || !bundle.list) return { refused: 'link bundle for another account' };
    let checked: CheckedDeviceList | undefined;
    try {
      checked = checkDeviceList(bundle.list, deviceListCrypto);
    } catch {
      checked = undefined;
    }
    if (!checked || checked.list.username !== me.username || !checked.list.devices.some((d) => d.deviceId === me.deviceId && equalBytes(d.identityKey, me.publicKey))) {
      return { refused: 'link bundle list does not name this device' };
    }
    // The seal already says the code's holder sent it; the signer (the linking device, still
    // listed) must have signed it too, so a bundle and a list cannot be mixed and matched.
    const signer = checked.list.devices.find((d) => d.deviceId === bundle.list!.signerDeviceId);
    if (!signer || !deviceListCrypto.verify(signer.identityKey, deviceListTranscript(bundle.list.list), bundle.list.signature)) {
      return { refused: 'link bundle list not signed by a listed device' };
    }
    await this.lists.trustLinked(checked);
    return { accepted: bundle };
  }

  /** What a new device keeps from the code while it waits for the bundle. */
  static linkingSettings(code: LinkCode): { linkId: string; secret: string } {
    return { linkId: toBase64Url(code.linkId), secret: toBase64Url(code.secret) };
  }

  private warn(reason: string): void {
    this.ctx.events.didWarnDevices.fire({ username: this.ctx.identity.username, reason });
  }
}
