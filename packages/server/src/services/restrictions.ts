/**
 * @module services/restrictions
 * Accounts restricted pending the operator's review: they may log in, receive and leave groups,
 * but not reach anyone (no messages, rings, contact requests, key package claims or new groups).
 * Checked on every send, so the set is cached and re-read at most every `refreshMs`: an operator's
 * `sotto admin unrestrict` on any node takes effect everywhere within that time.
 */
import { ErrorCode } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import type { Store } from '../storage/store.js';

export const RESTRICTIONS_REFRESH_MS = 2_000;

export class Restrictions {
  private restricted = new Set<string>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly now: Clock,
    private readonly refreshMs = RESTRICTIONS_REFRESH_MS,
  ) {}

  async isRestricted(username: string): Promise<boolean> {
    if (this.now() - this.loadedAt >= this.refreshMs) await this.reload();
    return this.restricted.has(username);
  }

  /** Throws RESTRICTED for a restricted account. */
  async check(username: string): Promise<void> {
    if (await this.isRestricted(username)) throw new ServerError(ErrorCode.RESTRICTED);
  }

  /** Restricts `username` in the store and here at once (other nodes follow within refreshMs). */
  async restrict(username: string): Promise<void> {
    await this.store.setRestricted(username, true);
    this.restricted.add(username);
  }

  private reload(): Promise<void> {
    // One read for every request waiting on a stale set.
    this.loading ??= (async () => {
      try {
        const names = await this.store.listRestricted();
        this.restricted = new Set(names);
        this.loadedAt = this.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
