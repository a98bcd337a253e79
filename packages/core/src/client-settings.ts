/**
 * @module client-settings
 * Settings as every store reads them back: whatever was stored is checked field by field and
 * anything missing or odd falls back to the default, so an old or damaged store never breaks
 * the engine. One function for every backend (SQLite, IndexedDB, memory).
 */
import { DEFAULT_CLIENT_SETTINGS, MAX_THREAT_NOTICES, type ChatFlags, type ClientSettings, type StoredProfile, type ThreatNoticeRecord } from './ports.js';

export function parseClientSettings(stored: Readonly<Record<string, unknown>>): ClientSettings {
  const advisoryKey = stored['advisoryKey'];
  const refused = stored['lockdownRefused'];
  const notices = stored['threatNotices'];
  return {
    relayOnlyCalls: stored['relayOnlyCalls'] === true,
    ...(stored['readReceipts'] === false ? { readReceipts: false } : {}),
    ...(stored['typingIndicators'] === false ? { typingIndicators: false } : {}),
    ...(typeof stored['keyPackageVersion'] === 'number' && Number.isInteger(stored['keyPackageVersion']) && stored['keyPackageVersion'] > 0
      ? { keyPackageVersion: stored['keyPackageVersion'] } : {}),
    lockdown: stored['lockdown'] === true,
    lockdownRefused: typeof refused === 'number' && Number.isInteger(refused) && refused >= 0 ? refused : DEFAULT_CLIENT_SETTINGS.lockdownRefused,
    threatNotices: Array.isArray(notices) ? notices.filter(isThreatNoticeRecord).slice(-MAX_THREAT_NOTICES) : [],
    ...(typeof advisoryKey === 'string' ? { advisoryKey } : {}),
    ...optional('deviceLists', stringRecord(stored['deviceLists'])),
    ...optional('linking', linkingOf(stored['linking'])),
    ...optional('linkedConversations', linkedConversationsOf(stored['linkedConversations'])),
    ...optional('conversationTimers', positiveIntegers(stored['conversationTimers'])),
    ...optional('acceptedRequests', positiveIntegers(stored['acceptedRequests'])),
    ...optional('profile', profileOf(stored['profile'])),
    ...optional('verified', stringRecord(stored['verified'])),
    ...optional('chats', chatsOf(stored['chats'])),
    ...optional('profiles', profilesOf(stored['profiles'])),
  };
}

function chatsOf(value: unknown): Record<string, ChatFlags> | undefined {
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).flatMap(([groupId, entry]) => {
    if (!isRecord(entry)) return [];
    const flags: ChatFlags = {
      ...(typeof entry['mutedUntil'] === 'number' && (entry['mutedUntil'] === -1 || entry['mutedUntil'] > 0) ? { mutedUntil: entry['mutedUntil'] } : {}),
      ...(entry['archived'] === true ? { archived: true } : {}),
      ...(entry['pinned'] === true ? { pinned: true } : {}),
    };
    return [[groupId, flags]];
  }));
}

function profileOf(value: unknown): StoredProfile | undefined {
  if (!isRecord(value) || typeof value['displayName'] !== 'string' || typeof value['updatedAt'] !== 'number') return undefined;
  return { displayName: value['displayName'], updatedAt: value['updatedAt'], ...(typeof value['avatar'] === 'string' ? { avatar: value['avatar'] } : {}) };
}

function profilesOf(value: unknown): Record<string, StoredProfile> | undefined {
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).flatMap(([user, entry]) => {
    const profile = profileOf(entry);
    return profile ? [[user, profile]] : [];
  }));
}

function positiveIntegers(value: unknown): Record<string, number> | undefined {
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isInteger(entry[1]) && entry[1] > 0));
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function linkingOf(value: unknown): ClientSettings['linking'] {
  if (!isRecord(value) || typeof value['linkId'] !== 'string' || typeof value['secret'] !== 'string') return undefined;
  return { linkId: value['linkId'], secret: value['secret'] };
}

function linkedConversationsOf(value: unknown): ClientSettings['linkedConversations'] {
  if (!isRecord(value)) return undefined;
  const out: Record<string, { kind: 'direct' | 'group' | 'self'; name: string }> = {};
  for (const [groupId, entry] of Object.entries(value)) {
    if (isRecord(entry) && (entry['kind'] === 'direct' || entry['kind'] === 'group' || entry['kind'] === 'self') && typeof entry['name'] === 'string') {
      out[groupId] = { kind: entry['kind'], name: entry['name'] };
    }
  }
  return out;
}

function isThreatNoticeRecord(value: unknown): value is ThreatNoticeRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['incidentId'] === 'string' &&
    typeof v['openedAt'] === 'number' &&
    Array.isArray(v['kinds']) &&
    (v['kinds'] as unknown[]).every((k) => typeof k === 'string') &&
    typeof v['senders'] === 'number' &&
    typeof v['operatorContact'] === 'string' &&
    typeof v['receivedAt'] === 'number' &&
    typeof v['dismissed'] === 'boolean'
  );
}
