/** @module @sotto/server */
// The Sotto server: `startServer` for `sotto serve`, `openAdmin` for
// `sotto admin`, and the Store and Bus interfaces other backends implement.
export { startServer, type RunningServer, type ServerDeps } from './server.js';
export { openAdmin, DEFAULT_INVITE_TTL_DAYS, type Admin, type AdminOptions } from './admin.js';
export { DEFAULT_RATE_RULES, NO_RATE_RULES, type RatePolicyRules, type RateAction, type RateScope } from './rate-limits/rate-policy.js';
export type { RateRule, RateLimiter } from './rate-limits/rate-limiter.js';
export {
  resolveConfig,
  parseDecimalDigits,
  WHOLE_NUMBER_RANGES,
  DATABASE_FILE,
  DEFAULT_CONFIG,
  LOG_LEVELS,
  type ServerConfig,
  type ServerConfigInput,
  type SettingNames,
  type SyncMode,
  type LogLevel,
} from './config.js';
export { ServerError, ConfigError, DatabaseRefusedError, StaleEpochError, StorageUnavailableError, type DatabaseProblem } from './errors.js';
export { createLogger, shortId, type Logger, type LoggerOptions } from './logger.js';
export { systemClock, type Clock } from './clock.js';
export type { RateLimit } from './token-bucket.js';
export { WS_PATH } from './gateway/http-gateway.js';
export { CloseCode } from './gateway/close-codes.js';
export { SETTING_MIN_CLIENT_VERSION, SETTING_INVITE_ONLY } from './services/accounts.js';
export { AdvisoryService, ADVISORY_POLL_MS } from './services/advisories.js';
export { SqliteStore, type SqliteStoreOptions } from './storage/sqlite/sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './storage/postgres/postgres-store.js';
export type { Store, StoreReader, StoreWriter, NewAccount, NewGroup, NewCommit } from './storage/store.js';
export type {
  AccountRecord,
  AnomalyTally,
  AuditRecord,
  IncidentRecord,
  IncidentStatus,
  LockdownRecord,
  ClaimedPackage,
  ContactRecord,
  DeviceAddress,
  DeviceRecord,
  GroupRecord,
  MailboxEntry,
  MailItem,
  StoredMail,
} from './storage/types.js';
export { LocalBus } from './bus/local/local-bus.js';
export { createNatsBus, type NatsBusOptions } from './bus/nats/create-nats-bus.js';
export { NatsBus } from './bus/nats/nats-bus.js';
export type { Bus, BusEvent, BusHandler, BusNotice, Unsubscribe } from './bus/bus.js';
