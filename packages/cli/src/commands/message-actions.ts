/**
 * @module commands/message-actions
 * What a member does to a message from the CLI, by the id `sync` prints: `react`, `edit`,
 * `delete` (for everyone), `forward`; replies are `send --reply <id>` (member.ts). And `timer`:
 * a conversation's disappearing messages.
 */
import type { Command } from 'commander';
import { ClientError, describeTimer } from '@sotto/core';
import { createOutput, type Output } from '../output.js';
import { withClient, type GlobalOptions } from '../profile.js';
import { findMessage } from '../message-ids.js';
import { formatMessage, messageRecord } from '../message-format.js';
import { resolveDirect, resolveGroup } from '../conversation-names.js';

/** `off`, or a number and a unit: `5m`, `1h`, `1d`, `1w` (a minute to 90 days). */
export function parseTimer(value: string): number {
  if (value === 'off' || value === '0') return 0;
  const match = /^(\d{1,6})([mhdw])$/.exec(value);
  const unit = { m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
  if (!match) throw new ClientError('INVALID_INPUT', 'A timer is off, or a number and m, h, d or w (for example 1h, 1d, 1w).');
  return Number(match[1]) * unit[match[2] as keyof typeof unit];
}

export function registerMessageActionCommands(program: Command, globals: () => GlobalOptions): void {
  const out = (): Output => createOutput(globals().json ?? false);

  program
    .command('profile')
    .description('show or set your display name and avatar, shared end to end with your contacts only')
    .option('--name <text>', 'your display name (at most 64 characters; "" for none)')
    .option('--avatar <image>', 'an image file: cropped, made small and re-encoded here (its metadata does not travel)')
    .option('--no-avatar', 'remove your avatar')
    .action(async (opts: { name?: string; avatar?: string | false }) => {
      const avatar = typeof opts.avatar === 'string' ? await (await import('@sotto/client-node/photo')).avatarFromFile(opts.avatar) : opts.avatar === false ? null : undefined;
      const mine = await withClient(globals(), async (c) => {
        if (opts.name !== undefined || avatar !== undefined) {
          await c.profile.set({ ...(opts.name !== undefined ? { displayName: opts.name } : {}), ...(avatar !== undefined ? { avatar } : {}) });
        }
        return c.profile.mine();
      });
      out().print(`${mine.displayName || '(no display name)'}${mine.avatar ? ` with an avatar (${mine.avatar.byteLength} bytes)` : ', no avatar'}`, {
        type: 'profile', displayName: mine.displayName, avatarBytes: mine.avatar?.byteLength ?? 0,
      });
    });

  program
    .command('chat')
    .description('show or change how you keep a chat: mute (for a while or always), archive, pin; on every device of your account')
    .argument('<name>', "a contact's username, or a group with --group")
    .option('--group', 'the name is a group')
    .option('--mute <for>', 'mute it: a number and m, h, d or w (e.g. 8h), always, or off')
    .option('--archive', 'archive it')
    .option('--unarchive', 'take it out of the archive')
    .option('--pin', 'pin it to the top')
    .option('--unpin', 'unpin it')
    .action(async (name: string, opts: { group?: boolean; mute?: string; archive?: boolean; unarchive?: boolean; pin?: boolean; unpin?: boolean }) => {
      const mutedUntil = opts.mute === undefined ? undefined : opts.mute === 'off' ? null : opts.mute === 'always' ? -1 : Date.now() + parseTimer(opts.mute) * 1000;
      if (opts.mute !== undefined && mutedUntil === 0) throw new ClientError('INVALID_INPUT', 'Mute for a number and m, h, d or w, always, or off.');
      const flags = await withClient(globals(), async (c) => {
        const conversation = opts.group ? await resolveGroup(c, name) : await resolveDirect(c, name);
        const change = {
          ...(mutedUntil !== undefined ? { mutedUntil } : {}),
          ...(opts.archive || opts.unarchive ? { archived: opts.archive === true } : {}),
          ...(opts.pin || opts.unpin ? { pinned: opts.pin === true } : {}),
        };
        if (Object.keys(change).length > 0) await c.setChatFlags(conversation, change);
        return c.chatFlags(conversation);
      });
      const muted = !flags.muted ? 'not muted' : flags.mutedUntil === -1 ? 'muted' : `muted until ${new Date(flags.mutedUntil!).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      out().print(`${name}: ${muted}${flags.archived ? ', archived' : ''}${flags.pinned ? ', pinned' : ''}`, { type: 'chat', name, ...flags });
    });

  program
    .command('search')
    .description('search your messages on this device (never on the server)')
    .argument('<text...>')
    .option('--limit <n>', 'at most this many, newest first', '20')
    .action(async (words: string[], opts: { limit: string }) => {
      const query = words.join(' ');
      const found = await withClient(globals(), async (c) => {
        const names = new Map((await c.listConversations()).map((conv) => [conv.groupId, conv.name]));
        return (await c.searchMessages(query, Number(opts.limit) || 20)).map((m) => ({ m, name: names.get(m.groupId) ?? m.groupId.slice(0, 8) }));
      });
      for (const { m, name } of found) out().print(formatMessage(name, m), messageRecord(name, m));
      if (found.length === 0) out().print(`nothing found for "${query}"`, { type: 'search', query, count: 0 });
    });

  program
    .command('timer')
    .description('show or set disappearing messages for a chat: off, or 1m to 90d (for every member and device)')
    .argument('<name>', "a contact's username, or --group")
    .argument('[value]', 'off, or a number and m, h, d or w, e.g. 1d')
    .option('--group', 'the name is a group')
    .action(async (name: string, value: string | undefined, opts: { group?: boolean }) => {
      const seconds = value === undefined ? undefined : parseTimer(value);
      const now = await withClient(globals(), async (c) => {
        const conversation = opts.group ? await resolveGroup(c, name) : await resolveDirect(c, name);
        if (seconds !== undefined) await c.setDisappearing(conversation, seconds);
        return c.disappearingTimer(conversation);
      });
      out().print(now === 0 ? `disappearing messages are off in ${name}` : `messages in ${name} disappear ${describeTimer(now)} after they arrive`, { type: 'timer', conversation: name, seconds: now });
    });

  program
    .command('react')
    .description('react to a message with one emoji (--remove takes your reaction back)')
    .argument('<message-id>')
    .argument('[emoji]')
    .option('--remove', 'take your reaction back')
    .action(async (id: string, emoji: string | undefined, opts: { remove?: boolean }) => {
      if (!opts.remove && !emoji) throw new ClientError('INVALID_INPUT', 'Give an emoji, or --remove.');
      const message = await withClient(globals(), async (c) => {
        const target = await findMessage(c, id);
        await c.messages.react(target.groupId, target.messageId, opts.remove ? '' : emoji!);
        return target;
      });
      out().print(opts.remove ? `reaction removed from ${message.messageId}` : `reacted ${emoji} to ${message.messageId}`, { type: 'reacted', messageId: message.messageId, emoji: opts.remove ? '' : emoji });
    });

  program
    .command('edit')
    .description('change the text of one of your messages (within 15 minutes of sending it)')
    .argument('<message-id>')
    .argument('<text...>')
    .action(async (id: string, words: string[]) => {
      const text = words.join(' ');
      const message = await withClient(globals(), async (c) => {
        const target = await findMessage(c, id);
        await c.messages.edit(target.groupId, target.messageId, text);
        return target;
      });
      out().print(`edited ${message.messageId}`, { type: 'edited', messageId: message.messageId });
    });

  program
    .command('delete')
    .description('delete one of your messages for everyone (within 2 days of sending it)')
    .argument('<message-id>')
    .action(async (id: string) => {
      const message = await withClient(globals(), async (c) => {
        const target = await findMessage(c, id);
        await c.messages.deleteForEveryone(target.groupId, target.messageId);
        return target;
      });
      out().print(`deleted ${message.messageId} for everyone`, { type: 'deleted', messageId: message.messageId });
    });

  program
    .command('forward')
    .description('send a copy of a message to a contact (or with --group, to a group), marked as forwarded')
    .argument('<message-id>')
    .argument('[username]')
    .option('--group <name>', 'forward to this group instead')
    .action(async (id: string, username: string | undefined, opts: { group?: string }) => {
      if ((username === undefined) === (opts.group === undefined)) throw new ClientError('INVALID_INPUT', 'Name a contact or --group <name>, one of them.');
      const sent = await withClient(globals(), async (c) => {
        const source = await findMessage(c, id);
        const to = opts.group !== undefined ? await resolveGroup(c, opts.group) : await resolveDirect(c, username!);
        return c.messages.forward(source.messageId, to);
      });
      out().print(`forwarded as ${sent.messageId}`, { type: 'sent', messageId: sent.messageId, forwarded: true });
    });
}
