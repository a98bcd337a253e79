/**
 * @module sfu/janus-token
 * Janus's signed tokens (core `token_auth_secret`): `expiry,realm,descriptor...:base64(HMAC-SHA1)`.
 * Two kinds per admission, because Janus checks two realms (src/auth.c): the core checks realm
 * `janus` naming the VideoRoom plugin on every API request of the holder; the VideoRoom checks
 * realm `janus.plugin.videoroom` naming `room=<id>` when the holder joins. Both stop working at
 * their expiry. SHA-1 is Janus's choice, not ours; as an HMAC it is not broken.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const VIDEOROOM_PLUGIN = 'janus.plugin.videoroom';

/** Lets the holder use the Janus API with the VideoRoom plugin (and no other) until the expiry (Unix seconds). */
export function signJanusApiToken(secret: string, expiresAtSeconds: number): string {
  return sign(secret, [String(expiresAtSeconds), 'janus', VIDEOROOM_PLUGIN, nonce()]);
}

/** Lets the holder join one VideoRoom room until the expiry (Unix seconds). */
export function signJanusRoomToken(secret: string, roomId: number, expiresAtSeconds: number): string {
  return sign(secret, [String(expiresAtSeconds), VIDEOROOM_PLUGIN, `room=${roomId}`, nonce()]);
}

function sign(secret: string, fields: string[]): string {
  const data = fields.join(',');
  return `${data}:${createHmac('sha1', secret).update(data).digest('base64')}`;
}

/** Makes each admission's tokens distinct, so revoking one leaves the others. */
function nonce(): string {
  return `n=${randomBytes(9).toString('base64url')}`;
}
