/**
 * @module devices/link-code
 * The one-time code an existing device shows and a new device types or scans: the link's id
 * (which the server knows) and a secret (which it never sees), 32 bytes as 52 base32 letters in
 * groups of four. Base32 because a person may have to type it: one case, no 0/O or 1/l to mix up
 * beyond what RFC 4648's alphabet already avoids, and dashes only for reading.
 */
import { LIMITS } from '@sotto/protocol';
import { ClientError } from '../errors.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const CODE_BYTES = LIMITS.deviceLinkIdBytes + LIMITS.deviceLinkSecretBytes;
/** 32 bytes are 256 bits: 52 letters of 5 bits (the last letter carries 1 bit and 4 zero bits). */
const CODE_LETTERS = Math.ceil((CODE_BYTES * 8) / 5);
const GROUP = 4;
/** What the web app's QR code carries after the server's address: `https://server/#link=<code>`. */
export const LINK_FRAGMENT = 'link=';

export interface LinkCode {
  readonly linkId: Uint8Array;
  readonly secret: Uint8Array;
}

export function formatLinkCode(code: LinkCode): string {
  const bytes = new Uint8Array(CODE_BYTES);
  bytes.set(code.linkId);
  bytes.set(code.secret, LIMITS.deviceLinkIdBytes);
  let letters = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      letters += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) letters += ALPHABET[(buffer << (5 - bits)) & 31];
  return letters.match(new RegExp(`.{1,${GROUP}}`, 'g'))!.join('-');
}

function badCode(why: string): ClientError {
  return new ClientError('INVALID_INPUT', `That is not a device link code: ${why}. Copy the code the other device shows (52 letters and digits, dashes optional).`);
}

/**
 * Reads a code as a person may have typed or pasted it: any case, with or without dashes and
 * spaces, or a whole `https://…/#link=<code>` address. Throws INVALID_INPUT saying what is wrong.
 */
export function parseLinkCode(input: string): LinkCode {
  if (input.length > 512) throw badCode('it is far too long');
  const fragment = input.indexOf(`#${LINK_FRAGMENT}`);
  const raw = fragment >= 0 ? input.slice(fragment + 1 + LINK_FRAGMENT.length) : input;
  const letters = raw.toLowerCase().replace(/[\s-]/g, '');
  if (letters.length !== CODE_LETTERS) throw badCode(`it has ${letters.length} letters, not ${CODE_LETTERS}`);
  const bytes = new Uint8Array(CODE_BYTES);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const letter of letters) {
    const value = ALPHABET.indexOf(letter);
    if (value < 0) throw badCode(`"${letter}" is not one of its letters`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      if (index < CODE_BYTES) bytes[index++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  // The last letter's spare bits are zero in a real code; anything else is a typo.
  if (buffer !== 0) throw badCode('its last letter is not one a code ends with');
  return { linkId: bytes.slice(0, LIMITS.deviceLinkIdBytes), secret: bytes.slice(LIMITS.deviceLinkIdBytes) };
}
