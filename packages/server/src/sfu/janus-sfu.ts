/**
 * @module sfu/janus-sfu
 * `SfuControl` over Janus's VideoRoom plugin, through janode: one long-lived session and
 * handle, reconnected with backoff when lost, every request bounded by a timeout and every
 * Janus error turned into an `SfuError`. Rooms are private, require end-to-end encrypted
 * media, Opus (+ VP8/H.264) only, and admit only holders of a signed token for that room that
 * is also on the room's allow list, so one admission can be withdrawn on its own (a revoke
 * also removes feeds under ids no admission was given). The controller keeps no record of rooms
 * or admissions: any controller holding the shared secret manages any room, so each node of a
 * cluster runs its own, and a revocation names the admissions to withdraw (the caller keeps
 * them, in the shared store). A restarted Janus forgets its rooms; they are not made again
 * here (a stale copy on one node would bring back rooms and tokens another node ended): the
 * caller finds them gone (`unknown-room`) and opens new ones. Logs carry room ids and problems, never tokens or secrets.
 */
import { createHmac, randomInt } from 'node:crypto';
import janode, { type JanodeConnection, type JanodeSession } from 'janode';
import videoroomPlugin, { type VideoRoomHandle } from 'janode/plugins/videoroom';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { describeJanusError } from './janus-errors.js';
import { signJanusApiToken, signJanusRoomToken } from './janus-token.js';
import { MAX_SFU_PARTICIPANTS, SfuError, type SfuAdmission, type SfuControl, type SfuHealth, type SfuParticipant, type SfuRevocation, type SfuRoomId, type SfuRoomOptions } from './sfu-control.js';

export interface JanusSfuOptions {
  /** ws:// URL of Janus's WebSocket API (not the admin API). */
  readonly url: string;
  /** Janus's `api_secret`, `token_auth_secret` and VideoRoom `admin_key` (one value). */
  readonly secret: string;
  readonly logger: Logger;
  /** Lifetime of an admission's token; default 120 s. */
  readonly tokenTtlSeconds?: number;
  /** The longest one request to Janus may take; default 5 s. */
  readonly requestTimeoutMs?: number;
  /** Backoff between reconnect attempts; default 250 ms doubling to 5 s. */
  readonly reconnectDelayMs?: { readonly first: number; readonly max: number };
  readonly clock?: Clock;
}

interface Link {
  readonly connection: JanodeConnection;
  readonly session: JanodeSession;
  readonly handle: VideoRoomHandle;
}

/** What Janus says it enforces for a room. */
export interface JanusRoomSettings {
  readonly maxPublishers: number;
  readonly requireE2ee: boolean;
  readonly pinRequired: boolean;
  readonly audioCodecs: string;
  readonly videoCodecs: string;
  readonly bitrate: number;
}

const KEEPALIVE_SECONDS = 15;

export class JanusSfu implements SfuControl {
  private link: Link | undefined;
  private connecting: Promise<Link> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nextDelayMs: number;
  private closed = false;
  private reconnects = 0;
  private everConnected = false;
  private problem = 'not connected yet';
  private readonly clock: Clock;
  private readonly ttlSeconds: number;
  private readonly timeoutMs: number;
  private readonly delays: { readonly first: number; readonly max: number };

  constructor(private readonly options: JanusSfuOptions) {
    if (!/^wss?:\/\/[^\s]+$/.test(options.url)) throw new SfuError('bad-input', 'The SFU URL must be a ws:// or wss:// URL of Janus\'s WebSocket API.');
    if (options.secret.length < 16) throw new SfuError('bad-input', 'The SFU secret must be at least 16 characters.');
    this.clock = options.clock ?? systemClock;
    this.ttlSeconds = options.tokenTtlSeconds ?? 120;
    this.timeoutMs = options.requestTimeoutMs ?? 5_000;
    this.delays = options.reconnectDelayMs ?? { first: 250, max: 5_000 };
    this.nextDelayMs = this.delays.first;
    // janode logs to stdout at info by default; the server's own log lines say what matters.
    janode.Logger.setLevel('none');
  }

  /** Connects now, so a wrong URL or secret shows at start-up; the controller keeps retrying after a failure. */
  async start(): Promise<void> {
    await this.currentLink();
  }

  async createRoom(options: SfuRoomOptions): Promise<{ roomId: SfuRoomId }> {
    checkRoomOptions(options);
    const roomId = randomInt(1, 2 ** 48);
    await this.createAtJanus(await this.currentLink(), roomId, options);
    this.options.logger.info({ room: roomId, publishers: options.maxParticipants, audioOnly: options.audioOnly === true }, 'sfu room created');
    return { roomId };
  }

  async destroyRoom(roomId: SfuRoomId): Promise<void> {
    checkRoomId(roomId);
    const link = await this.currentLink();
    await this.request(link, { request: 'destroy', room: roomId, secret: this.roomSecret(roomId) }, `destroying room ${roomId}`);
    this.options.logger.info({ room: roomId }, 'sfu room destroyed');
  }

  async admit(roomId: SfuRoomId, participant: SfuParticipant): Promise<SfuAdmission> {
    checkRoomId(roomId);
    checkParticipant(participant);
    const link = await this.currentLink();
    const expiresAtSeconds = Math.floor(this.clock() / 1000) + this.ttlSeconds;
    const admission: SfuAdmission = {
      token: signJanusApiToken(this.options.secret, expiresAtSeconds),
      joinToken: signJanusRoomToken(this.options.secret, roomId, expiresAtSeconds),
      feedId: randomInt(1, 2 ** 48),
      expiresAt: expiresAtSeconds * 1000,
    };
    await this.request(link, { request: 'allowed', room: roomId, secret: this.roomSecret(roomId), action: 'add', allowed: [admission.joinToken] }, `admitting to room ${roomId}`);
    return admission;
  }

  async revoke(roomId: SfuRoomId, participant: SfuParticipant, withdrawal: SfuRevocation): Promise<void> {
    checkRoomId(roomId);
    checkParticipant(participant);
    checkWithdrawal(withdrawal);
    const link = await this.currentLink();
    const secret = this.roomSecret(roomId);
    if (withdrawal.joinTokens.length > 0) {
      await this.request(link, { request: 'allowed', room: roomId, secret, action: 'remove', allowed: [...withdrawal.joinTokens] }, `revoking in room ${roomId}`);
    } else {
      // Nothing to withdraw, but an unknown room is still an error the caller should see.
      await this.roomMustExist(link, roomId);
    }
    // The revoked feeds go, and, when the caller says which admissions remain, so does any feed
    // under an id none of them was given: a member who joined under a made-up id cannot stay.
    const doomed = new Set(withdrawal.feedIds);
    if (withdrawal.keepFeeds) {
      const listed = await this.request(link, { request: 'listparticipants', room: roomId }, `listing room ${roomId}`);
      for (const { id } of (listed.participants as { id: number }[] | undefined) ?? []) if (!withdrawal.keepFeeds.has(id)) doomed.add(id);
    }
    for (const feedId of doomed) {
      try {
        await this.request(link, { request: 'kick', room: roomId, secret, id: feedId }, `removing a participant from room ${roomId}`);
      } catch (error) {
        // 428: that feed never joined (or already left): nothing to remove.
        if (!(error instanceof SfuError && error.janusCode === 428)) throw error;
      }
    }
  }

  async present(roomId: SfuRoomId): Promise<ReadonlySet<number>> {
    const link = await this.currentLink();
    await this.roomMustExist(link, roomId);
    const listed = await this.request(link, { request: 'listparticipants', room: roomId }, `listing room ${roomId}`);
    const participants = Array.isArray(listed.participants) ? (listed.participants as unknown[]) : [];
    return new Set(participants.flatMap((p) => {
      const id = typeof p === 'object' && p !== null ? (p as { id?: unknown }).id : undefined;
      return typeof id === 'number' ? [id] : [];
    }));
  }

  /** The room as Janus holds it (for tests and diagnostics): the settings it enforces. */
  async describeRoom(roomId: SfuRoomId): Promise<JanusRoomSettings> {
    checkRoomId(roomId);
    const answer = await this.request(await this.currentLink(), { request: 'list', admin_key: this.options.secret }, 'listing rooms');
    const room = (answer.list as Record<string, unknown>[] | undefined)?.find((r) => r.room === roomId);
    if (!room) throw new SfuError('unknown-room', `There is no room ${roomId} at the SFU (never created, destroyed, or lost).`);
    return {
      maxPublishers: Number(room.max_publishers),
      requireE2ee: room.require_e2ee === true,
      pinRequired: room.pin_required === true,
      audioCodecs: String(room.audiocodec),
      videoCodecs: String(room.videocodec),
      bitrate: Number(room.bitrate),
    };
  }

  async health(): Promise<SfuHealth> {
    const summary = (up: boolean, detail: string): SfuHealth => ({ up, detail, reconnects: this.reconnects });
    if (this.closed) return summary(false, 'the SFU controller is closed');
    try {
      const link = await this.currentLink();
      await this.request(link, { request: 'exists', room: 1 }, 'checking the SFU');
      return summary(true, `connected to Janus at ${new URL(this.options.url).host}`);
    } catch (error) {
      return summary(false, error instanceof Error ? error.message : String(error));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const link = this.link ?? (await this.connecting?.catch(() => undefined));
    this.link = undefined;
    if (link) await withTimeout(link.connection.close(), this.timeoutMs, 'closing the SFU connection').catch(() => undefined);
  }

  /** The working link, or a new one; while Janus is away, an `unavailable` error at once. */
  private async currentLink(): Promise<Link> {
    if (this.closed) throw new SfuError('unavailable', 'The SFU controller is closed.');
    if (this.link) return this.link;
    // While a reconnect waits out its backoff, callers fail fast instead of each dialling Janus.
    if (this.reconnectTimer && !this.connecting) throw new SfuError('unavailable', `The SFU is unavailable (${this.problem}); nothing was changed.`);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<Link> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    let connection: JanodeConnection | undefined;
    try {
      connection = await withTimeout(janode.connect({ address: [{ url: this.options.url, apisecret: this.options.secret }], retry_time_secs: 1, max_retries: 0 }), this.timeoutMs, 'connecting to the SFU');
      const session = await withTimeout(connection.create(KEEPALIVE_SECONDS), this.timeoutMs, 'opening an SFU session');
      const handle = await withTimeout(session.attach(videoroomPlugin), this.timeoutMs, 'attaching to the VideoRoom plugin');
      const link: Link = { connection, session, handle };
      const lost = (why: string) => () => this.lose(link, why);
      connection.once(janode.EVENT.CONNECTION_ERROR, lost('the connection to Janus broke'));
      connection.once(janode.EVENT.CONNECTION_CLOSED, lost('the connection to Janus closed'));
      session.once(janode.EVENT.SESSION_DESTROYED, lost('Janus ended the session'));
      handle.once(janode.EVENT.HANDLE_DETACHED, lost('Janus detached the VideoRoom handle'));
      if (this.closed) {
        await connection.close().catch(() => undefined);
        throw new SfuError('unavailable', 'The SFU controller is closed.');
      }
      this.link = link;
      this.nextDelayMs = this.delays.first;
      if (this.everConnected) this.reconnects++;
      this.everConnected = true;
      this.problem = '';
      this.options.logger.info({ reconnects: this.reconnects }, 'sfu connected');
      return link;
    } catch (error) {
      await connection?.close().catch(() => undefined);
      const failure = asSfuError(error, 'connecting to the SFU');
      // One line per new problem, not one per retry.
      if (failure.message !== this.problem) this.options.logger.warn({ problem: failure.problem, error: failure.message }, 'sfu unreachable');
      this.problem = failure.message;
      this.scheduleReconnect();
      throw failure;
    }
  }

  private lose(link: Link, why: string): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.problem = `${why}; reconnecting`;
    this.options.logger.warn({ problem: why }, 'sfu lost');
    link.connection.close().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.delays.max, this.nextDelayMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.link && !this.connecting) this.currentLink().catch(() => undefined);
    }, delay);
    this.reconnectTimer.unref();
  }

  private async createAtJanus(link: Link, roomId: SfuRoomId, options: SfuRoomOptions): Promise<void> {
    await this.request(
      link,
      {
        request: 'create',
        admin_key: this.options.secret,
        room: roomId,
        permanent: false,
        is_private: true,
        secret: this.roomSecret(roomId),
        publishers: options.maxParticipants,
        // Janus must not touch payloads: they are SFrame ciphertext.
        require_e2ee: true,
        // Only holders of a signed token naming this room, and on its allow list, may join.
        signed_tokens: true,
        allowed: [],
        audiocodec: 'opus',
        // VP8 only: what members' validators allow, and the codec whose clear bytes SFrame framing knows (PROTOCOL 10d).
        videocodec: 'vp8',
        // The VideoRoom has no audio-only switch: audio-only rooms cap the bitrate so video is useless
        // there, and the server's SDP checks (to come, issue 20) are to refuse video in them.
        bitrate: options.audioOnly ? 64_000 : 1_024_000,
        bitrate_cap: true,
        audiolevel_event: true,
        notify_joining: true,
        // A subscriber must show its publisher's private id: strangers cannot subscribe anonymously.
        require_pvtid: true,
        record: false,
      },
      `creating room ${roomId}`,
    );
  }

  private async roomMustExist(link: Link, roomId: SfuRoomId): Promise<void> {
    const answer = await this.request(link, { request: 'exists', room: roomId }, `checking room ${roomId}`);
    if (answer.exists !== true) throw new SfuError('unknown-room', `There is no room ${roomId} at the SFU (never created, destroyed, or lost).`);
  }

  /** One VideoRoom request, bounded; its `plugindata.data`, or an `SfuError`. */
  private async request(link: Link, body: Record<string, unknown>, what: string): Promise<Record<string, unknown>> {
    let answer: unknown;
    try {
      answer = await withTimeout(link.handle.message(body), this.timeoutMs, what);
    } catch (error) {
      throw asSfuError(error, what);
    }
    const data = (answer as { plugindata?: { data?: Record<string, unknown> } }).plugindata?.data;
    if (!data) throw new SfuError('failed', `Janus gave no VideoRoom answer when ${what}.`);
    return data;
  }

  /** Per-room secret, derived so that any node holding the shared secret can manage any room. */
  private roomSecret(roomId: SfuRoomId): string {
    return createHmac('sha256', this.options.secret).update(`sotto-sfu-room:${roomId}`).digest('base64url');
  }
}

function asSfuError(error: unknown, what: string): SfuError {
  if (error instanceof SfuError) return error;
  return describeJanusError(error, what);
}

function checkRoomOptions(options: SfuRoomOptions): void {
  const n = options.maxParticipants;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SFU_PARTICIPANTS) {
    throw new SfuError('bad-input', `maxParticipants must be a whole number from 1 to ${MAX_SFU_PARTICIPANTS}, not ${String(n)}.`);
  }
  if (options.audioOnly !== undefined && typeof options.audioOnly !== 'boolean') throw new SfuError('bad-input', 'audioOnly must be true or false.');
}

function checkRoomId(roomId: SfuRoomId): void {
  if (!Number.isSafeInteger(roomId) || roomId < 1) throw new SfuError('bad-input', `An SFU room id is a positive whole number, not ${String(roomId)}.`);
}

function checkWithdrawal(withdrawal: SfuRevocation): void {
  const tokens = withdrawal?.joinTokens;
  const feeds = withdrawal?.feedIds;
  if (!Array.isArray(tokens) || tokens.length > 64 || !tokens.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 512)) {
    throw new SfuError('bad-input', 'A revocation names at most 64 join tokens, each 1 to 512 characters.');
  }
  if (!Array.isArray(feeds) || feeds.length > 64 || !feeds.every((f) => Number.isSafeInteger(f) && f > 0)) {
    throw new SfuError('bad-input', 'A revocation names at most 64 feed ids, each a positive whole number.');
  }
}

function checkParticipant(participant: SfuParticipant): void {
  if (typeof participant !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(participant)) {
    throw new SfuError('bad-input', 'A participant reference is 1 to 64 letters, digits, - or _.');
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // A late rejection of the losing promise must not become an unhandled rejection.
  promise.catch(() => undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SfuError('unavailable', `The SFU did not answer within ${ms} ms when ${what}.`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
