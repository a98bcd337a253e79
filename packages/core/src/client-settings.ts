/**
 * @module client-settings
 * Settings as every store reads them back: whatever was stored is checked field by field and
 * anything missing or odd falls back to the default, so an old or damaged store never breaks
 * the engine. One function for every backend (SQLite, IndexedDB, memory).
 */
import { DEFAULT_CLIENT_SETTINGS, MAX_THREAT_NOTICES, type ClientSettings, type ThreatNoticeRecord } from './ports.js';

export function parseClientSettings(stored: Readonly<Record<string, unknown>>): ClientSettings {
  const advisoryKey = stored['advisoryKey'];
  const refused = stored['lockdownRefused'];
  const notices = stored['threatNotices'];
  return {
    relayOnlyCalls: stored['relayOnlyCalls'] === true,
    lockdown: stored['lockdown'] === true,
    lockdownRefused: typeof refused === 'number' && Number.isInteger(refused) && refused >= 0 ? refused : DEFAULT_CLIENT_SETTINGS.lockdownRefused,
    threatNotices: Array.isArray(notices) ? notices.filter(isThreatNoticeRecord).slice(-MAX_THREAT_NOTICES) : [],
    ...(typeof advisoryKey === 'string' ? { advisoryKey } : {}),
  };
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
