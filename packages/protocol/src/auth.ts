/**
 * @module auth
 * The bytes a device signs to prove it holds its identity key. Both sides
 * build them with this one function so they cannot drift apart.
 */

const DOMAIN = new TextEncoder().encode('sotto-auth-v1');

/**
 * `"sotto-auth-v1" || nonce || u8 len || username || u8 len || deviceId`
 * (deviceId is empty when registering). Lengths make the encoding unambiguous.
 */
export function authTranscript(nonce: Uint8Array, username: string, deviceId: string): Uint8Array {
  const user = new TextEncoder().encode(username);
  const device = new TextEncoder().encode(deviceId);
  if (user.byteLength > 255 || device.byteLength > 255) throw new RangeError('username or device id too long');
  const out = new Uint8Array(DOMAIN.byteLength + nonce.byteLength + 2 + user.byteLength + device.byteLength);
  let offset = 0;
  for (const part of [DOMAIN, nonce, Uint8Array.of(user.byteLength), user, Uint8Array.of(device.byteLength), device]) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
