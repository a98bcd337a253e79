/**
 * @module storage/domains/settings
 * The settings part of the storage contract: the operator's key-value settings
 * (minimum client version, invite-only, advisories).
 */

export interface SettingsReader {
  getSetting(key: string): Promise<string | undefined>;
}

export interface SettingsWriter {
  setSetting(key: string, value: string): Promise<void>;
}

export interface SettingsStore extends SettingsReader, SettingsWriter {}
