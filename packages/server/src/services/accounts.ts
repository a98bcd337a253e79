/** @module services/accounts */
// Registration, login proofs, invites and the minimum client version. The
// server keeps only public identity keys; a device proves it holds its key
// by signing the connection's challenge (protocol `authTranscript`).
import { randomBytes } from 'node:crypto';
import { authTranscript, compareVersions, ErrorCode, LIMITS, parseVersion } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import type { RatePolicy } from '../rate-limits/rate-policy.js';
import type { Store } from '../storage/store.js';
import type { AccountRecord, DeviceRecord } from '../storage/types.js';
import { verifyEd25519 } from './signature.js';
import { invalid, requireBytes, requireDeviceId, requireUsername } from './validate.js';

/** Settings keys, shared with the admin commands. */
export const SETTING_MIN_CLIENT_VERSION = 'min_client_version';
export const SETTING_INVITE_ONLY = 'invite_only';

const DAY_MS = 86_400_000;
/** 12 random bytes: 96 bits, 16 base64url characters, easy to paste. */
const INVITE_CODE_BYTES = 12;
/** 8 random bytes as 16 hex characters: unique per account, meaningless outside it. */
const DEVICE_ID_BYTES = 8;

export interface RegisterRequest {
  readonly username: string;
  readonly identityKey: Uint8Array;
  readonly inviteCode: string;
  /** The connection's challenge nonce. */
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
  /** The client's limiting address key, if limited by address. */
  readonly address?: string;
}

export interface LoginRequest {
  readonly username: string;
  readonly deviceId: string;
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
}

export interface AccountsOptions {
  /** Invite-only by configuration; the `invite_only` setting can turn it on as well. */
  readonly inviteOnly: boolean;
  readonly now: Clock;
  /** Registration limits per address; absent (admin commands): none. */
  readonly rates?: RatePolicy;
}

export class AccountsService {
  constructor(
    private readonly store: Store,
    private readonly options: AccountsOptions,
  ) {}

  async inviteRequired(): Promise<boolean> {
    return this.options.inviteOnly || (await this.store.getSetting(SETTING_INVITE_ONLY)) === 'true';
  }

  async setInviteOnly(on: boolean): Promise<void> {
    await this.store.setSetting(SETTING_INVITE_ONLY, on ? 'true' : 'false');
  }

  /** The operator's minimum client version, or '' when there is none. */
  async minClientVersion(): Promise<string> {
    return (await this.store.getSetting(SETTING_MIN_CLIENT_VERSION)) ?? '';
  }

  /** Sets the minimum client version (`MAJOR.MINOR.PATCH`); '' removes it. */
  async setMinClientVersion(version: string): Promise<void> {
    if (version !== '' && !parseVersion(version)) throw invalid(`"${version}" is not a version of the form MAJOR.MINOR.PATCH.`);
    await this.store.setSetting(SETTING_MIN_CLIENT_VERSION, version);
  }

  /** Throws UPDATE_REQUIRED, saying which version is needed, when the client is older than the minimum. */
  async checkClientVersion(clientVersion: string): Promise<void> {
    if (clientVersion.length > LIMITS.clientVersionMaxLength) {
      throw invalid(`client_version must be at most ${LIMITS.clientVersionMaxLength} characters.`);
    }
    const min = await this.minClientVersion();
    if (min === '' || compareVersions(clientVersion, min) >= 0) return;
    const yours = parseVersion(clientVersion) ? `this client is ${clientVersion}` : 'this client did not send a version';
    throw new ServerError(ErrorCode.UPDATE_REQUIRED, `This server needs Sotto ${min} or newer; ${yours}. Update Sotto to continue.`);
  }

  /** Creates the account and its first device after checking the device's proof; returns the new device. */
  async register(request: RegisterRequest): Promise<DeviceRecord> {
    requireUsername(request.username);
    requireBytes(request.identityKey, LIMITS.identityKeyBytes, 'identity_key');
    if (request.inviteCode.length > LIMITS.inviteCodeMaxLength) {
      throw invalid(`invite_code must be at most ${LIMITS.inviteCodeMaxLength} characters.`);
    }
    if (!verifyEd25519(request.identityKey, authTranscript(request.nonce, request.username, ''), request.signature)) {
      throw new ServerError(ErrorCode.BAD_SIGNATURE, 'The signature does not verify with the identity key being registered.');
    }
    if (this.options.rates) await this.options.rates.take('register', request.address !== undefined ? { address: request.address } : {});
    const now = this.options.now();
    const deviceId = randomBytes(DEVICE_ID_BYTES).toString('hex');
    try {
      await this.store.createAccount({
        username: request.username,
        deviceId,
        identityKey: request.identityKey,
        requireInvite: await this.inviteRequired(),
        now,
        ...(request.inviteCode ? { inviteCode: request.inviteCode } : {}),
      });
    } catch (error) {
      const earlier = error instanceof ServerError && error.code === ErrorCode.USERNAME_TAKEN && (await this.sameKeyDevice(request));
      if (earlier) return earlier;
      throw error;
    }
    return { username: request.username, deviceId, identityKey: request.identityKey, createdAt: now };
  }

  /**
   * A retried registration (the first answer was lost with the connection)
   * must not strand the account: the same key, just proven again, gets the
   * device it created. Any other key gets USERNAME_TAKEN.
   */
  private async sameKeyDevice(request: RegisterRequest): Promise<DeviceRecord | undefined> {
    const devices = await this.store.listDevices(request.username);
    return devices.find((d) => Buffer.from(d.identityKey).equals(request.identityKey));
  }

  /** Checks that the device exists and signed this connection's nonce with its stored key. */
  async login(request: LoginRequest): Promise<DeviceRecord> {
    requireUsername(request.username);
    requireDeviceId(request.deviceId);
    const device = await this.store.getDevice({ username: request.username, deviceId: request.deviceId });
    if (!device) throw new ServerError(ErrorCode.UNKNOWN_DEVICE, 'No such device on this server; register it first.');
    if (!verifyEd25519(device.identityKey, authTranscript(request.nonce, request.username, request.deviceId), request.signature)) {
      throw new ServerError(ErrorCode.BAD_SIGNATURE, "The signature does not verify with this device's identity key.");
    }
    return device;
  }

  /** A new single-use invite code valid for `ttlDays`. */
  async createInvite(ttlDays: number): Promise<string> {
    if (!Number.isFinite(ttlDays) || ttlDays <= 0) throw invalid('An invite must be valid for a positive number of days.');
    const code = randomBytes(INVITE_CODE_BYTES).toString('base64url');
    const now = this.options.now();
    await this.store.createInvite(code, now, now + Math.round(ttlDays * DAY_MS));
    return code;
  }

  listAccounts(): Promise<AccountRecord[]> {
    return this.store.listAccounts();
  }

  /** The listed devices (and public identity keys) of an account; UNKNOWN_ACCOUNT if there is none. */
  async getDevices(username: string): Promise<DeviceRecord[]> {
    requireUsername(username);
    // Devices still being linked are no one's to write to yet: only a published signed list makes them members.
    const devices = await this.store.listedDevices(username);
    if (devices.length === 0 && !(await this.store.getAccount(username))) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
    return devices;
  }
}
