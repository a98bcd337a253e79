/**
 * @module devices/settings-sync
 * Keeps a member's settings in step between the account's devices: a change on one is sent, as
 * `SettingsSync`, into the conversation of the account's own devices (an MLS group of those
 * devices alone, made when there is a second one), and the others apply it (inbox.ts). Only
 * what is the member's choice travels; what a device learnt itself (pinned keys, device lists,
 * threat notices) and what the server already shares (lockdown) do not.
 */
import { AppContentSchema, create } from '@sotto/protocol';
import type { EngineContext } from '../context.js';
import type { Conversations } from '../conversations.js';
import { MessageKeptError } from '../errors.js';
import { newMessageId } from '../message-id.js';
import { fromHex } from '../bytes.js';
import type { ClientSettings } from '../ports.js';

/** The settings that travel between the account's devices. */
export const SYNCED_SETTINGS = ['relayOnlyCalls', 'readReceipts', 'typingIndicators', 'chats'] as const satisfies readonly (keyof ClientSettings)[];

export function touchesSyncedSettings(change: Partial<ClientSettings>): boolean {
  return SYNCED_SETTINGS.some((key) => key in change);
}

export class SettingsSync {
  constructor(
    private readonly ctx: EngineContext,
    private readonly conversations: Conversations,
  ) {}

  /**
   * Sends this device's synced settings to the account's other devices. Nothing when it is the
   * only one. Offline, the message waits in the outbox like any other.
   */
  async push(): Promise<void> {
    const own = await this.conversations.ensureSelf();
    if (!own) return;
    const settings = await this.ctx.store.getSettings();
    const now = this.ctx.clock.now();
    const content = create(AppContentSchema, {
      messageId: newMessageId(this.ctx.clock, this.ctx.random),
      sentAt: BigInt(now),
      body: {
        case: 'settingsSync',
        value: {
          relayOnlyCalls: settings.relayOnlyCalls,
          noReadReceipts: settings.readReceipts === false,
          noTypingIndicators: settings.typingIndicators === false,
          chats: Object.entries(settings.chats ?? {}).slice(0, 1000).map(([groupId, flags]) => ({
            groupId: fromHex(groupId), mutedUntil: BigInt(flags.mutedUntil ?? 0), archived: flags.archived === true, pinned: flags.pinned === true,
          })),
        },
      },
    });
    try {
      await this.conversations.send(own, content);
    } catch (error) {
      if (!(error instanceof MessageKeptError)) throw error;
    }
  }
}
