/**
 * @module profiles
 * `client.profile`: a display name and an avatar per account, shared end to end with contacts
 * only (sent into each 1:1 conversation, and to this account's own other devices), never with
 * the server and never with a group's members who are not contacts. The newest profile of an
 * account (by its sender's clock) counts. An avatar is a small image checked by its bytes and
 * header before it is kept; screens decode it only in their sandbox.
 */
import { AppContentSchema, create, isPlainText, LIMITS, type Profile } from '@sotto/protocol';
import { fromBase64Url, toBase64Url } from './bytes.js';
import type { EngineContext } from './context.js';
import type { Conversations } from './conversations.js';
import { ClientError, MessageKeptError } from './errors.js';
import { newMessageId } from './message-id.js';
import { checkImageDimensions } from './attachments/image-dimensions.js';
import { matchesSignature } from './attachments/sniff.js';
import type { StoredProfile } from './ports.js';
import { membersOf } from './mls/group.js';

export interface ProfileView {
  readonly displayName: string;
  /** The avatar's bytes (JPEG, PNG or WebP): decode only in a sandbox. */
  readonly avatar?: Uint8Array;
}

type Audience = Parameters<Conversations['send']>[3];

const AVATAR_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** Why an avatar cannot be kept, or undefined when it can. */
export function avatarProblem(avatar: Uint8Array): string | undefined {
  if (avatar.byteLength > LIMITS.avatarMaxBytes) return `An avatar is at most ${LIMITS.avatarMaxBytes / 1024} KiB.`;
  const type = AVATAR_TYPES.find((t) => matchesSignature(avatar, t));
  if (!type) return 'An avatar is a JPEG, PNG or WebP image.';
  const size = checkImageDimensions(avatar, type);
  if (!size.ok) return `The avatar cannot be used: ${size.reason}`;
  if (size.width > LIMITS.avatarMaxPixelsPerSide || size.height > LIMITS.avatarMaxPixelsPerSide) {
    return `An avatar is at most ${LIMITS.avatarMaxPixelsPerSide} pixels a side.`;
  }
  return undefined;
}

function view(stored: StoredProfile | undefined): ProfileView {
  if (!stored) return { displayName: '' };
  const avatar = stored.avatar ? fromBase64Url(stored.avatar) : undefined;
  return { displayName: stored.displayName, ...(avatar ? { avatar } : {}) };
}

export class Profiles {
  constructor(
    private readonly ctx: EngineContext,
    private readonly conversations: Conversations,
    private readonly audience: Audience,
  ) {
    // A new 1:1 conversation (a new contact) gets this account's profile, if it has one.
    ctx.events.didJoinConversation.event(({ groupId }) => void this.shareOnJoin(groupId).catch(() => undefined));
  }

  /** This account's own profile. */
  async mine(): Promise<ProfileView> {
    return view((await this.ctx.store.getSettings()).profile);
  }

  /** A contact's profile as they last shared it (an empty name when they shared none). */
  async of(username: string): Promise<ProfileView> {
    if (username === this.ctx.identity.username) return this.mine();
    return view((await this.ctx.store.getSettings()).profiles?.[username]);
  }

  /** Sets this account's profile and shares it with every contact and this account's other devices. */
  async set(change: { displayName?: string; avatar?: Uint8Array | null }): Promise<void> {
    const current = (await this.ctx.store.getSettings()).profile;
    const displayName = change.displayName ?? current?.displayName ?? '';
    if (!isPlainText(displayName, LIMITS.displayNameMaxChars)) {
      throw new ClientError('INVALID_INPUT', `A display name is plain text of at most ${LIMITS.displayNameMaxChars} characters.`);
    }
    const avatar = change.avatar === null ? undefined : change.avatar ?? (current?.avatar ? fromBase64Url(current.avatar) : undefined);

    if (avatar) {
      const problem = avatarProblem(avatar);
      if (problem) throw new ClientError('INVALID_INPUT', problem);
    }
    const now = this.ctx.clock.now();
    const profile: StoredProfile = { displayName, ...(avatar ? { avatar: toBase64Url(avatar) } : {}), updatedAt: now };
    await this.ctx.queue.run(() => this.ctx.store.apply({ settings: { profile } }));
    this.ctx.events.didChangeProfile.fire({ username: this.ctx.identity.username });
    const targets = (await this.ctx.store.listConversations()).filter((c) => c.active && (c.kind === 'direct' || c.kind === 'self'));
    for (const conversation of targets) await this.send(conversation.groupId, profile, now);
  }

  /** Sends this account's profile into one conversation (a 1:1 just made), if there is one to send. */
  async shareWith(groupId: string): Promise<void> {
    const conversation = await this.ctx.store.getConversation(groupId);
    const profile = (await this.ctx.store.getSettings()).profile;
    if (!profile || !conversation?.active || conversation.kind !== 'direct') return;
    await this.send(groupId, profile, profile.updatedAt);
  }

  /**
   * A 1:1 joined through a Welcome: the profile goes in once for the account. Not again when it
   * already went: an earlier 1:1 with the same contact (both sides set one up at once) carried it;
   * the profile was set after the join (`set` sent it to every 1:1, this one included); or another
   * device of this account speaks for it, the one with the lowest leaf in the group (the creator,
   * leaf 0, when it is this account's: it shared on creation).
   */
  private async shareOnJoin(groupId: string): Promise<void> {
    const conversations = await this.ctx.store.listConversations();
    const joined = conversations.find((c) => c.groupId === groupId);
    if (!joined?.active || joined.kind !== 'direct') return;
    if (conversations.some((c) => c.groupId !== groupId && c.active && c.kind === 'direct' && c.name === joined.name)) return;
    const profile = (await this.ctx.store.getSettings()).profile;
    if (!profile || profile.updatedAt >= joined.createdAt) return;
    const { username, deviceId } = this.ctx.identity;
    const speaker = membersOf(this.conversations.state(joined)).filter((m) => m.username === username).sort((a, b) => a.leafIndex - b.leafIndex)[0];
    if (speaker && speaker.deviceId !== deviceId) return;
    await this.shareWith(groupId);
  }

  /**
   * A profile that arrived (inbox): from a contact in the 1:1 with them, or from another device of
   * this account. Returns the settings to store, or a reason to drop it.
   */
  async receive(from: string, kind: string, sentAt: number, profile: Profile): Promise<{ settings: { profile?: StoredProfile; profiles?: Record<string, StoredProfile> } } | { drop: string }> {
    if (kind !== 'direct' && !(kind === 'self' && from === this.ctx.identity.username)) return { drop: 'a profile outside a 1:1 conversation' };
    if (profile.avatar.byteLength > 0) {
      const problem = avatarProblem(profile.avatar);
      if (problem) return { drop: `a profile whose avatar was refused: ${problem}` };
    }
    const stored: StoredProfile = { displayName: profile.displayName, ...(profile.avatar.byteLength > 0 ? { avatar: toBase64Url(profile.avatar) } : {}), updatedAt: sentAt };
    const settings = await this.ctx.store.getSettings();
    if (from === this.ctx.identity.username) {
      // The same profile again (it reaches the other devices through every 1:1 too), or an older one: nothing to do.
      if (settings.profile && settings.profile.updatedAt >= sentAt) return { settings: {} };
      return { settings: { profile: stored } };
    }
    const known = settings.profiles?.[from];
    if (known && known.updatedAt >= sentAt) return { settings: {} };
    return { settings: { profiles: { ...settings.profiles, [from]: stored } } };
  }

  private async send(groupId: string, profile: StoredProfile, sentAt: number): Promise<void> {
    const content = create(AppContentSchema, {
      messageId: newMessageId(this.ctx.clock, this.ctx.random),
      sentAt: BigInt(sentAt),
      body: { case: 'profile', value: { displayName: profile.displayName, avatar: (profile.avatar ? fromBase64Url(profile.avatar) : undefined) ?? new Uint8Array(0) } },
    });
    try {
      await this.conversations.send({ groupId }, content, undefined, this.audience);
    } catch (error) {
      if (!(error instanceof MessageKeptError)) throw error;
    }
  }
}
