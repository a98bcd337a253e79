/**
 * @module devices/devices
 * The member's devices, as the engine offers them to the CLI and the web app: list them (from the
 * account's signed list, never from the server's say-so), link a new one, remove one.
 */
import { LIMITS } from '@sotto/protocol';
import type { EngineContext } from '../context.js';
import type { Conversations } from '../conversations.js';
import { ClientError } from '../errors.js';
import type { DeviceLists } from './device-lists.js';
import type { DeviceLinking, LinkOptions, OpenLink } from './linking.js';

export interface DeviceView {
  readonly deviceId: string;
  /** The device this engine runs on. */
  readonly thisDevice: boolean;
}

export class Devices {
  constructor(
    private readonly ctx: EngineContext,
    private readonly lists: DeviceLists,
    private readonly linking: DeviceLinking,
    private readonly conversations: Conversations,
  ) {}

  /** This account's devices, from its signed list (brought up to date with the server's newer versions, if they check out). */
  async list(): Promise<DeviceView[]> {
    const me = this.ctx.identity;
    const list = await this.lists.refresh(me.username);
    const devices = list?.list.devices ?? [{ deviceId: me.deviceId }];
    return devices.map((d) => ({ deviceId: d.deviceId, thisDevice: d.deviceId === me.deviceId }));
  }

  /**
   * Opens a one-time link: show `code` to the new device (typed in the CLI, scanned as a QR code
   * in the web app). `linked` settles when the new device is listed and in every conversation.
   * `history`: pass the recent messages of each conversation on to it, sealed like the rest.
   */
  link(options: LinkOptions = {}): Promise<OpenLink> {
    return this.linking.create(options);
  }

  /**
   * Removes another device of this account: a new list version without it (signed here), then
   * a commit removing it from every conversation, so it can read nothing sent after. Returns
   * how many conversations it was removed from.
   */
  async remove(deviceId: string): Promise<number> {
    const me = this.ctx.identity;
    if (deviceId === me.deviceId) {
      throw new ClientError('INVALID_INPUT', 'A device cannot remove itself: remove it from another device of the account.');
    }
    const own = await this.lists.refresh(me.username);
    if (!own?.list.devices.some((d) => d.deviceId === deviceId)) {
      throw new ClientError('INVALID_INPUT', `No device ${deviceId} in this account's device list (at most ${LIMITS.maxDevicesPerAccount}).`);
    }
    await this.lists.publishNext(own.list.devices.filter((d) => d.deviceId !== deviceId));
    let removed = 0;
    for (const conversation of await this.ctx.store.listConversations()) {
      if (!conversation.active) continue;
      if (await this.conversations.removeDevices(conversation, me.username, [deviceId])) removed += 1;
    }
    return removed;
  }
}
