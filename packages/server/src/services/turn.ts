/**
 * @module services/turn
 * Short-lived TURN credentials in the TURN REST API scheme (draft-uberti-behave-turn-rest),
 * which coturn checks with `use-auth-secret`: the username is "<expiry>:<opaque id>" and the
 * password is base64(HMAC-SHA1(shared secret, username)). The opaque id is keyed to the
 * device so the TURN server's logs never name a member.
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { DeviceAddress } from '../storage/types.js';

export interface TurnConfig {
  /** turn: / turns: URLs handed to clients; empty disables TURN. */
  readonly urls: readonly string[];
  /** The secret shared with the TURN server (coturn `static-auth-secret`). */
  readonly secret?: string;
  readonly ttlSeconds: number;
}

export interface TurnCredentialsResult {
  readonly urls: readonly string[];
  readonly username: string;
  readonly credential: string;
  readonly ttlSeconds: number;
}

export class TurnService {
  constructor(
    private readonly config: TurnConfig,
    private readonly now: Clock,
  ) {}

  credentials(device: DeviceAddress): TurnCredentialsResult {
    const secret = this.config.secret;
    if (this.config.urls.length === 0 || secret === undefined) return { urls: [], username: '', credential: '', ttlSeconds: 0 };
    const expiry = Math.floor(this.now() / 1000) + this.config.ttlSeconds;
    const opaque = createHmac('sha256', secret).update(`device:${device.username}:${device.deviceId}`).digest('hex').slice(0, 16);
    const username = `${expiry}:${opaque}`;
    const credential = createHmac('sha1', secret).update(username).digest('base64');
    return { urls: this.config.urls, username, credential, ttlSeconds: this.config.ttlSeconds };
  }
}
