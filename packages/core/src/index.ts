/**
 * @module @sotto/core
 * The client engine. Pure: storage, transport, clock, randomness and logging are injected.
 */
export * from './client.js';
export * from './errors.js';
export * from './ports.js';
export * from './events.js';
export * from './bytes.js';
export * from './safety-number.js';
export type { SessionState } from './session.js';
export type { ContactEvent, DroppedEvent, PublicClientEvents } from './context.js';
export { DEFAULT_CIPHERSUITE, loadCiphersuite, type SuiteOptions } from './mls/suite.js';
export { KeyCache, SIGNING_KEY_SLOTS, VERIFYING_KEY_SLOTS, bytesKey, type KeySlots } from './mls/key-cache.js';
export { MlsContext, membersOf } from './mls/group.js';
export { MemoryClientStore } from './memory-store.js';
export * from './calls/index.js';
export { isStatusAdvance } from './message-status.js';
export { OutboxSender, SEND_ATTEMPTS, SEND_GIVE_UP_MS, type SendDelay, type SendDelayReason } from './outbox-sender.js';
export { newMessageId } from './message-id.js';
export { HKDF_HASH_BYTES } from './mls/hkdf.js';
export { Advisories, type VerifiedAdvisory, type RefusedAdvisory } from './advisories.js';
export { parseClientSettings } from './client-settings.js';
export { AnomalyReporter, type AnomalySource } from './anomaly-reporter.js';
export { Lockdown, parseContactLink, formatContactLink, type ContactLink, type ContactRequestsView, type LockdownView } from './lockdown.js';
export { ThreatNotices, THREAT_ADVICE, anomalyKindName } from './threat-notices.js';
export { Devices, type DeviceView } from './devices/devices.js';
export type { DeviceListChange, DeviceListWarning } from './devices/device-lists.js';
export type { OpenLink, LinkedDevice, LinkOptions } from './devices/linking.js';
export { formatLinkCode, parseLinkCode, LINK_FRAGMENT, type LinkCode } from './devices/link-code.js';
export * from './attachments/index.js';
export {
  Attachments, attachmentOf, describeAttachment, type FileSink, type FileSource, type SavedFile, type SendFileOptions, type SentFile,
} from './attachments/attachments.js';
export { UPLOAD_CHUNK_BYTES, httpBase } from './attachments/blob-http.js';
export { fetchHttpPort, type FetchLike, type FetchResponseLike } from './attachments/fetch-http.js';
export { applyMessageChange } from './message-change.js';
export { MessageActions } from './message-actions.js';
export { judgeEdit, judgeReaction, judgeRetract, type ActionVerdict } from './message-rules.js';
export * from './sframe/index.js';
export { describeTimer, isAllowedTimer, timerNotice } from './disappearing.js';
export { Profiles, avatarProblem, type ProfileView } from './profiles.js';
export { Push, type PushSubscriptionParts, type PushRequester } from './push.js';
export { TypingIndicators, TYPING_REFRESH_MS, TYPING_SHOWN_MS, TYPING_EXPIRES_MS } from './typing.js';
export { MAX_QUIET_BETWEEN_STORED } from './conversations.js';
export * from './group-calls/index.js';
