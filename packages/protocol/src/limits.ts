/**
 * @module limits
 * Size limits: per frame type (checked before any decoding) and per field
 * (checked after decoding, before anything else looks at the value).
 */
import { FrameType } from './gen/sotto/v1/wire_pb.js';

/** Header: u8 protocol version, u16 frame type, u32 request id. */
export const FRAME_HEADER_BYTES = 7;

const KIB = 1024;

/** Largest body accepted per frame type, in bytes. Unknown types have no limit: they are refused. */
export const FRAME_BODY_LIMITS: Readonly<Partial<Record<FrameType, number>>> = {
  [FrameType.CHALLENGE]: 256,
  [FrameType.RESPONSE]: 1024 * KIB,
  [FrameType.DELIVERY]: 160 * KIB,
  [FrameType.NOTICE]: 1 * KIB,
  [FrameType.ADVISORY]: 8 * KIB,
  [FrameType.HELLO]: 1 * KIB,
  [FrameType.UPLOAD_KEY_PACKAGES]: 512 * KIB,
  [FrameType.CLAIM_KEY_PACKAGES]: 256,
  [FrameType.CONTACT_REQUEST]: 2 * KIB,
  [FrameType.CONTACT_RESPOND]: 256,
  [FrameType.LIST_CONTACTS]: 16,
  [FrameType.CREATE_GROUP]: 128 * KIB,
  [FrameType.COMMIT]: 160 * KIB,
  [FrameType.SEND]: 64 * KIB,
  [FrameType.LEAVE_GROUP]: 16 * KIB,
  [FrameType.GET_DEVICES]: 256,
  [FrameType.GET_TURN_CREDENTIALS]: 16,
  [FrameType.REPORT_ANOMALIES]: 4 * KIB,
  [FrameType.SET_LOCKDOWN]: 16,
  [FrameType.CREATE_CONTACT_LINK]: 16,
  [FrameType.ACK]: 16 * KIB,
  [FrameType.CREATE_DEVICE_LINK]: 16,
  [FrameType.PUBLISH_DEVICE_LIST]: 2 * KIB,
  [FrameType.GET_DEVICE_LIST]: 256,
  [FrameType.SEND_LINK_BUNDLE]: 128 * KIB,
  [FrameType.CREATE_UPLOAD]: 16,
  // An endpoint of at most 1,024 characters (up to 4 KiB of UTF-8), a 65-byte key and a 16-byte secret.
  [FrameType.SET_PUSH_SUBSCRIPTION]: 4 * KIB + 128,
  // A 32-byte group id.
  [FrameType.JOIN_GROUP_CALL]: 64,
  [FrameType.LEAVE_GROUP_CALL]: 64,
};

/** Largest frame of any type: the transport refuses anything bigger outright. */
export const MAX_FRAME_BYTES =
  FRAME_HEADER_BYTES + Math.max(...Object.values(FRAME_BODY_LIMITS).map((n) => n ?? 0));

export const LIMITS = {
  usernameMinLength: 3,
  usernameMaxLength: 32,
  contactRequestMaxChars: 280,
  textMaxChars: 4000,
  groupIdBytes: 32,
  messageIdBytes: 16,
  identityKeyBytes: 32,
  signatureBytes: 64,
  nonceBytes: 32,
  deviceIdMaxLength: 64,
  inviteCodeMaxLength: 64,
  keyPackageMaxBytes: 8 * KIB,
  keyPackagesPerUpload: 100,
  keyPackagesLowWatermark: 10,
  /** One-time key packages a device may keep on the server: bounds what one account can store. */
  keyPackagesMaxStored: 200,
  maxGroupMembers: 1000,
  /** A named group's admins (GroupAdmins.accounts): at most this many accounts. */
  groupAdminsMax: 32,
  maxAckSeqs: 1000,
  clientVersionMaxLength: 32,
  advisoryTitleMaxChars: 120,
  advisoryTextMaxChars: 2000,
  /** Advisories the server keeps and hands out at every hello; older ones are dropped. */
  advisoriesKept: 20,
  anomalyReportsPerFrame: 32,
  anomalyCountMax: 10_000,
  contactLinkTokenBytes: 16,
  contactLinkMaxTtlHours: 720,
  contactLinkDefaultTtlHours: 168,
  /** Devices an account may have, listed and being linked: a phone and four more, as WhatsApp allows. */
  maxDevicesPerAccount: 5,
  deviceLinkIdBytes: 16,
  deviceLinkSecretBytes: 16,
  /** How long a device link code can be used: a few minutes, once. */
  deviceLinkTtlMs: 5 * 60_000,
  /** An encoded DeviceList: five devices with their keys fit in well under half of it. */
  deviceListMaxBytes: 1 * KIB,
  /** Versions GET_DEVICE_LIST returns after a known one; a device further behind trusts afresh, with a warning. */
  deviceListChainMax: 64,
  linkRequestSealedMaxBytes: 256,
  linkBundleSealedMaxBytes: 120 * KIB,
  blobIdBytes: 16,
  attachmentKeyBytes: 32,
  attachmentDigestBytes: 32,
  attachmentFileNameMaxBytes: 255,
  attachmentCaptionMaxChars: 1024,
  /** A preview small enough to sit inside the MLS message, re-encoded by the sender. */
  attachmentThumbnailMaxBytes: 12 * KIB,
  attachmentMaxPixelsPerSide: 16_384,
  voiceNoteMaxMs: 15 * 60_000,
  voiceNoteWaveformMaxSamples: 64,
  /** The media type string, e.g. `image/jpeg`. */
  mediaTypeMaxLength: 100,
  /** A reaction is one emoji: a family or a flag with its joiners fits in 8 code points. */
  reactionMaxCodePoints: 8,
  /** How long after sending a text its sender may still edit it. */
  editWindowMs: 15 * 60_000,
  /** How long after sending a message its sender may still delete it for everyone. */
  retractWindowMs: 2 * 24 * 3_600_000,
  /** Disappearing messages: the shortest and longest timer (a minute, 90 days). */
  disappearingMinSeconds: 60,
  disappearingMaxSeconds: 90 * 24 * 3600,
  displayNameMaxChars: 64,
  avatarMaxBytes: 12 * KIB,
  avatarMaxPixelsPerSide: 512,
  /** A Web Push endpoint URL (PushSubscription.endpoint): the vendors' are a few hundred characters. */
  pushEndpointMaxChars: 1024,
  /** PushSubscription.p256dh: an uncompressed P-256 point, 0x04 then X and Y. */
  pushP256dhBytes: 65,
  /** PushSubscription.auth: the RFC 8291 authentication secret. */
  pushAuthBytes: 16,
} as const;

const USERNAME = /^[a-z0-9_][a-z0-9_.-]*$/;

/** Usernames: 3-32 characters of a-z, 0-9, `_`, `.`, `-`; lower case so they cannot be spoofed by case. */
export function isValidUsername(name: string): boolean {
  return (
    name.length >= LIMITS.usernameMinLength &&
    name.length <= LIMITS.usernameMaxLength &&
    USERNAME.test(name)
  );
}

// C0/C1 controls except tab and newline, plus bidi overrides that can disguise text.
const FORBIDDEN_TEXT = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

/** Plain text of at most `maxChars` code points with no control or bidi-override characters. */
export function isPlainText(text: string, maxChars: number): boolean {
  if (text.length > maxChars * 2) return false; // cheap bound before counting code points
  let count = 0;
  for (const _ of text) if (++count > maxChars) return false;
  return !FORBIDDEN_TEXT.test(text) && text.isWellFormed();
}
