/**
 * @module node-client
 * A SottoClient for Node with its state in a profile directory:
 * `PROFILE/client.db` (SQLite). The entry point for the CLI and for bots.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SottoClient, fetchHttpPort, loadCiphersuite, type CallsConfig, type GroupCallsConfig, type ClientDeps, type FetchLike } from '@sotto/core';
import { nodeEd25519 } from './node-ed25519.js';
import { nodeHkdf } from './node-hkdf.js';
import { createStderrLogger, nodeClock, nodeRandom, type LogLevel } from './node-ports.js';
import { SqliteClientStore } from './sqlite-client-store.js';
import { WsTransport } from './ws-transport.js';

export interface NodeClientOptions {
  readonly profileDir: string;
  readonly logLevel?: LogLevel;
  readonly clientVersion?: string;
  readonly reconnect?: boolean;
  /** Media and policy for calls (see WeriftCallMedia); without it calls ring and are logged only. */
  readonly calls?: CallsConfig;
  /** The media stack toward the SFU (see JanusGroupCallMedia); without it group calls cannot be joined. */
  readonly groupCalls?: GroupCallsConfig;
}

export function nodeClientDeps(options: NodeClientOptions): ClientDeps {
  mkdirSync(options.profileDir, { recursive: true, mode: 0o700 });
  chmodSync(options.profileDir, 0o700);
  return {
    store: new SqliteClientStore(join(options.profileDir, 'client.db')),
    transport: new WsTransport(),
    clock: nodeClock,
    random: nodeRandom,
    signature: nodeEd25519,
    hkdf: nodeHkdf,
    logger: createStderrLogger('client', options.logLevel ?? 'warn'),
    ...(options.clientVersion ? { clientVersion: options.clientVersion } : {}),
    reconnect: options.reconnect ?? true,
    ...(options.calls ? { calls: options.calls } : {}),
    ...(options.groupCalls ? { groupCalls: options.groupCalls } : {}),
    // Node's own fetch (undici) moves files; it streams answers, so a large file is never held whole.
    http: fetchHttpPort(fetch as unknown as FetchLike),
  };
}

/** Registers a new account from an empty profile. */
export function registerNodeClient(options: NodeClientOptions, serverUrl: string, username: string, inviteCode?: string): Promise<SottoClient> {
  return SottoClient.register(nodeClientDeps(options), serverUrl, username, inviteCode);
}

/**
 * Makes an empty profile a new device of an existing account, with the code another of its devices
 * shows (`sotto devices add`). Resolves, connected, once that device has listed this one.
 */
export function linkNodeClient(options: NodeClientOptions, serverUrl: string, code: string, timeoutMs?: number): Promise<SottoClient> {
  return SottoClient.joinWithLink(nodeClientDeps(options), serverUrl, code, timeoutMs);
}

/** Opens an existing profile (not yet connected). */
export function openNodeClient(options: NodeClientOptions): Promise<SottoClient> {
  return SottoClient.open(nodeClientDeps(options));
}

/**
 * The MLS suite as Node clients run it (node:crypto Ed25519, OpenSSL's HMAC
 * for HKDF), for code that drives MLS without a SottoClient: benchmarks,
 * tools, tests.
 */
export function loadNodeCiphersuite(name?: ClientDeps['ciphersuite']): ReturnType<typeof loadCiphersuite> {
  return loadCiphersuite(name, { signature: nodeEd25519, hkdf: nodeHkdf });
}
