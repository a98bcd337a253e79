/**
 * @module app/error-text
 * What a member reads when something fails: the engine's and the server's errors in this app's
 * own words. The engine words its errors for no surface in particular (the CLI says "run sotto
 * register", a browser has no command line), and raw exception text would show internals, so
 * every screen turns an error into text here and nowhere else.
 */
import { ClientError, RemoteError, type ClientErrorCode } from '@sotto/core';
import { ErrorCode } from '@sotto/protocol';

const TRY_AGAIN = 'Try again; if it keeps happening, reload the page.';

/** Every engine code has its sentence: a new code fails to compile until it gets one. */
const CLIENT_TEXT: Record<ClientErrorCode, string | ((error: ClientError) => string)> = {
  NOT_REGISTERED: 'This browser has no Sotto account yet.',
  ALREADY_REGISTERED: 'This browser already has a Sotto account.',
  NOT_CONNECTED: 'You are not connected to the server right now. Check your connection and try again.',
  TIMEOUT: `The server did not answer in time. ${TRY_AGAIN}`,
  NOT_A_CONTACT: 'You can do that only with someone who accepted you as a contact.',
  NO_CONVERSATION: 'That chat is no longer available on this device.',
  UNKNOWN_GROUP: 'That group is no longer available on this device.',
  // The engine's input checks are already about what the member typed, in plain words.
  INVALID_INPUT: (error) => error.message,
  REMOTE: `The server gave an answer this app does not understand. ${TRY_AGAIN}`,
  REPLACED: 'Sotto was opened in another tab or window, which took over.',
  CRYPTO: 'Something could not be decrypted on this device, so nothing of it was shown.',
  CALL_IN_PROGRESS: 'You are already in a call.',
  NO_CALL: 'That call has already ended.',
  NO_MEDIA: 'This browser cannot carry calls.',
  NO_VIDEO: 'This browser cannot carry video in calls.',
  DEVICE_REMOVED: 'This browser was removed from your account on another of your devices. Link it again to use it.',
  PROFILE_TOO_NEW: 'This browser holds data from a newer version of Sotto. Reload to get the newer app; nothing was changed.',
  SERVER_UNAVAILABLE: 'The server cannot store messages right now. Your message is kept on this device and goes out when the server can take it.',
  NO_TURN: 'Relay-only calls need a relay (TURN) server, and this server has none. Turn relay-only calls (or lockdown mode) off in Settings, or ask the people who run your server.',
  // The engine's upload error already says what happened, in plain words.
  UPLOAD_FAILED: (error) => error.message,
  FILE_UNAVAILABLE: 'This file is no longer on the server (files expire after a while), so it cannot be opened. Ask the sender to send it again.',
  FILE_TAMPERED: 'This file is not what its sender sent: it was changed or cut short on the way. Nothing of it was kept or opened.',
  NOT_GROUP_ADMIN: 'Only admins can add or remove members, or make someone an admin.',
};

/** The server's answers a member can meet, in the app's words; anything else gets the generic line. */
const REMOTE_TEXT: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.UPDATE_REQUIRED]: 'This version of Sotto is too old for your server. Reload the page to update.',
  [ErrorCode.UNSUPPORTED_PROTOCOL]: 'This version of Sotto is too old for your server. Reload the page to update.',
  [ErrorCode.USERNAME_TAKEN]: 'That username is taken. Choose another.',
  [ErrorCode.INVITE_REQUIRED]: 'This server needs an invite code to create an account. Ask the people who run it.',
  [ErrorCode.UNKNOWN_ACCOUNT]: 'There is no one with that username on this server.',
  [ErrorCode.NOT_A_CONTACT]: 'That person has not accepted you as a contact yet.',
  [ErrorCode.NO_KEY_PACKAGE]: 'That person’s devices cannot take new chats right now. Try again later.',
  [ErrorCode.UNKNOWN_GROUP]: 'That group no longer exists on the server.',
  [ErrorCode.NOT_A_MEMBER]: 'You are no longer a member of that group.',
  [ErrorCode.NOT_GROUP_ADMIN]: 'Only admins can add or remove members, or make someone an admin.',
  [ErrorCode.NO_SFU]: 'Group calls need your server’s media server, and it has none or it is not answering. 1:1 calls still work.',
  [ErrorCode.RESTRICTED]: 'Your account is paused while the people who run this server review it. You can still read messages.',
  [ErrorCode.LINK_REQUIRED]: 'That person accepts contact requests only through a contact link they shared with you.',
  [ErrorCode.BLOCKED]: 'That person does not accept requests from you.',
  [ErrorCode.LINK_INVALID]: 'That link code is unknown, expired or already used. Make a new one on your other device and try again.',
  [ErrorCode.DEVICE_LIMIT]: 'Your account already has as many devices as it can have. Remove one in Settings → Devices on another device first.',
  [ErrorCode.STALE_DEVICE_LIST]: 'Another of your devices changed the device list at the same moment. Try again.',
  [ErrorCode.FILE_TOO_LARGE]: 'That file is larger than this server accepts. Send a smaller one, or share it another way.',
  [ErrorCode.QUOTA_EXCEEDED]: 'You have used all the file storage this server gives you. Older files free their room when they expire.',
  [ErrorCode.INTERNAL]: `The server could not do that just now; nothing was changed. ${TRY_AGAIN}`,
};

/**
 * The sentence for a failed link, on either device: there, a timeout is the code running out
 * (or the other device giving up), not a server that did not answer.
 */
export function linkErrorText(error: unknown, side: 'new-device' | 'linking-device'): string {
  if (error instanceof ClientError && error.code === 'TIMEOUT') {
    return side === 'new-device'
      ? 'Your other device did not finish linking in time. Make a new code there and try again.'
      : 'The code expired before a new device used it. Make a new one.';
  }
  return errorText(error);
}

/** The sentence to show for `error`. Never the raw text of an unexpected exception. */
export function errorText(error: unknown): string {
  if (error instanceof RemoteError) {
    if (error.wireCode === ErrorCode.RATE_LIMITED) {
      const seconds = Math.ceil(error.retryAfterMs / 1000);
      return seconds > 0 ? `Too many attempts. Try again in ${seconds} s.` : 'Too many attempts. Wait a moment and try again.';
    }
    return REMOTE_TEXT[error.wireCode] ?? `The server refused that (${error.wireName}). ${TRY_AGAIN}`;
  }
  if (error instanceof ClientError) {
    const text = CLIENT_TEXT[error.code];
    return typeof text === 'function' ? text(error) : text;
  }
  return `Something went wrong. ${TRY_AGAIN}`;
}
