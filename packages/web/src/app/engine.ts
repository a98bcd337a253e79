/**
 * @module app/engine
 * Builds the engine (`SottoClient`) for this browser: IndexedDB for the profile, the page's
 * own server for the connection, RTCPeerConnection for calls. One profile per origin.
 */
import { SottoClient, fetchHttpPort, type ClientDeps, type FetchLike } from '@sotto/core';
import { BrowserCallMedia } from '../platform/browser-call-media.js';
import { BrowserGroupCallMedia } from '../platform/browser-group-call-media.js';
import { browserClock, browserRandom, createConsoleLogger, type LogLevel } from '../platform/browser-ports.js';
import { BrowserTransport, serverUrlForPage } from '../platform/browser-transport.js';
import { IndexedDbClientStore } from '../platform/indexeddb-store.js';

/** The IndexedDB database holding this browser's profile (keys, conversations, messages). */
export const PROFILE_DATABASE = 'sotto-profile';

export interface Engine {
  readonly client: SottoClient;
  readonly media: BrowserCallMedia;
  /** The group call's media (mute lives here); one per engine. */
  readonly groupMedia: BrowserGroupCallMedia;
}

/**
 * The SFU's loopback candidates are refused, as a peer's are, except where a test runs the SFU
 * on the same machine and says so (`localStorage['sotto.allowLoopbackSfu'] = '1'`).
 */
function allowLoopbackForTests(): boolean {
  return globalThis.localStorage?.getItem('sotto.allowLoopbackSfu') === '1';
}

/** `localStorage['sotto.logLevel'] = 'debug'` turns on the engine's (content-free) diagnostics. */
function logLevel(): LogLevel {
  const level = globalThis.localStorage?.getItem('sotto.logLevel');
  return level === 'debug' || level === 'info' || level === 'error' || level === 'silent' ? level : 'warn';
}

async function deps(media: BrowserCallMedia, groupMedia: BrowserGroupCallMedia): Promise<ClientDeps> {
  return {
    store: await IndexedDbClientStore.open(PROFILE_DATABASE),
    transport: new BrowserTransport(),
    clock: browserClock,
    random: browserRandom,
    logger: createConsoleLogger('sotto', logLevel()),
    reconnect: true,
    calls: { media },
    groupCalls: { media: groupMedia, allowLoopback: allowLoopbackForTests() },
    // The page's fetch moves files (same origin, answers read as streams).
    http: fetchHttpPort(((url, init) => fetch(url, init as RequestInit)) as FetchLike),
  };
}

/** The username of the profile stored in this browser, if there is one. */
export async function storedUsername(): Promise<string | undefined> {
  const store = await IndexedDbClientStore.open(PROFILE_DATABASE);
  try {
    return (await store.getIdentity())?.username;
  } finally {
    await store.close();
  }
}

export async function registerHere(username: string, inviteCode: string): Promise<Engine> {
  const media = new BrowserCallMedia();
  const groupMedia = new BrowserGroupCallMedia();
  const client = await SottoClient.register(await deps(media, groupMedia), serverUrlForPage(location), username, inviteCode);
  return { client, media, groupMedia };
}

/**
 * Makes this browser a new device of an existing account, with the one-time code another of its
 * devices shows. Resolves connected, once that device has listed this one (minutes at most).
 */
export async function linkHere(code: string): Promise<Engine> {
  const media = new BrowserCallMedia();
  const groupMedia = new BrowserGroupCallMedia();
  const clientDeps = await deps(media, groupMedia);
  try {
    return { client: await SottoClient.joinWithLink(clientDeps, serverUrlForPage(location), code), media, groupMedia };
  } catch (error) {
    // The next attempt opens the profile again; this handle would only keep it busy.
    await clientDeps.store.close();
    throw error;
  }
}

export async function openHere(): Promise<Engine> {
  const media = new BrowserCallMedia();
  const groupMedia = new BrowserGroupCallMedia();
  return { client: await SottoClient.open(await deps(media, groupMedia)), media, groupMedia };
}

/** Deletes this browser's profile: its keys are gone for good, so the account cannot be used here again. */
export function deleteProfile(): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(PROFILE_DATABASE);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error('could not delete the profile'));
    request.onblocked = () => reject(new Error('close Sotto in other tabs first'));
  });
}
