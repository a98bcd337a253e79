/**
 * @module lockdown
 * Lockdown mode on this device: the switch (the server keeps it for the whole account and tells
 * every device), contact links (the only way a stranger can then ask for contact), and what the
 * member sees of non-contacts (a count, nothing more). Calls follow it too: relay-only.
 */
import { ContactState, create, CreateContactLinkSchema, FrameType, isValidUsername, LIMITS, SetLockdownSchema, type LockdownState } from '@sotto/protocol';
import { fromBase64Url, toBase64Url } from './bytes.js';
import { ClientError } from './errors.js';
import { Emitter, subscribeSide, type Subscribable } from './events.js';
import type { ClientStore, StoredContact } from './ports.js';
import type { Session } from './session.js';

export interface LockdownView {
  readonly enabled: boolean;
  /** Link-less requests the server refused since lockdown was turned on. */
  readonly refused: number;
}

export interface ContactLink {
  readonly link: string;
  readonly username: string;
  readonly token: Uint8Array;
  readonly expiresAt: number;
}

/** What the member may see of pending requests: in lockdown, only link requests in full. */
export interface ContactRequestsView {
  readonly shown: readonly StoredContact[];
  /** Pending requests from non-contacts held back by lockdown mode: a count only. */
  readonly hidden: number;
}

const LINK_FRAGMENT = /#add=([a-z0-9_.-]{3,32})\/([A-Za-z0-9_-]{22})$/;
const LINK_SHORT = /^([a-z0-9_.-]{3,32})\/([A-Za-z0-9_-]{22})$/;

/** The web address of a ws(s):// server URL: where the web app lives, so a link opens it. */
export function webBaseOf(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  url.pathname = '/';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/$/, '');
}

/** `https://host/#add=USERNAME/TOKEN`: opens the web app on the add-contact screen. */
export function formatContactLink(serverUrl: string, username: string, token: Uint8Array): string {
  return `${webBaseOf(serverUrl)}/#add=${username}/${toBase64Url(token)}`;
}

/** A contact link (or its short `USERNAME/TOKEN` form) to its parts; INVALID_INPUT if it is not one. */
export function parseContactLink(link: string): { readonly username: string; readonly token: Uint8Array } {
  const match = LINK_FRAGMENT.exec(link.trim()) ?? LINK_SHORT.exec(link.trim());
  const token = match ? fromBase64Url(match[2]!) : undefined;
  if (!match || !isValidUsername(match[1]!) || token?.byteLength !== LIMITS.contactLinkTokenBytes) {
    throw new ClientError('INVALID_INPUT', 'That is not a Sotto contact link (it looks like https://server/#add=name/…).');
  }
  return { username: match[1]!, token };
}

export class Lockdown {
  private readonly changed = new Emitter<LockdownView>();
  readonly didChange: Subscribable<LockdownView> = subscribeSide(this.changed);

  constructor(
    private readonly store: ClientStore,
    private readonly session: Session,
    private readonly serverUrl: string,
    private readonly username: string,
  ) {}

  async state(): Promise<LockdownView> {
    const settings = await this.store.getSettings();
    return { enabled: settings.lockdown, refused: settings.lockdownRefused };
  }

  /** Turns lockdown mode on or off for the whole account. */
  async set(enabled: boolean): Promise<LockdownView> {
    const result = await this.session.request(FrameType.SET_LOCKDOWN, create(SetLockdownSchema, { enabled }));
    if (result.case !== 'lockdown') throw new ClientError('REMOTE', 'Unexpected answer to set lockdown.');
    return this.adopt(result.value);
  }

  /** The server's word (hello, or a LOCKDOWN_CHANGED notice) on this account's lockdown state. */
  async adopt(state: LockdownState | undefined): Promise<LockdownView> {
    const view = { enabled: state?.enabled === true, refused: state?.refused ?? 0 };
    const before = await this.state();
    if (before.enabled !== view.enabled || before.refused !== view.refused) {
      await this.store.apply({ settings: { lockdown: view.enabled, lockdownRefused: view.refused } });
      this.changed.fire(view);
    }
    return view;
  }

  /** A new single-use contact link, valid `ttlHours` (default a week). */
  async createLink(ttlHours = 0): Promise<ContactLink> {
    const result = await this.session.request(FrameType.CREATE_CONTACT_LINK, create(CreateContactLinkSchema, { ttlHours }));
    if (result.case !== 'contactLink') throw new ClientError('REMOTE', 'Unexpected answer to create contact link.');
    const { token, expiresAt } = result.value;
    return { link: formatContactLink(this.serverUrl, this.username, token), username: this.username, token, expiresAt: Number(expiresAt) };
  }

  /** Pending requests as the member may see them: all of them, or in lockdown only link requests plus a count. */
  async contactRequests(): Promise<ContactRequestsView> {
    const pending = (await this.store.listContacts()).filter((c) => c.state === ContactState.PENDING);
    if (!(await this.state()).enabled) return { shown: pending, hidden: 0 };
    const shown = pending.filter((c) => c.viaLink === true);
    return { shown, hidden: pending.length - shown.length };
  }
}
