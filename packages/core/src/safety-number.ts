/**
 * @module safety-number
 * Safety numbers, as Signal shows them: 60 digits two members compare out of
 * band to check that the server handed out the right identity keys. Each
 * side's half is 30 digits from 5,200 iterations of SHA-512 over its
 * username and device keys; the halves are sorted so both see one number.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from './bytes.js';

const VERSION = Uint8Array.of(0, 1);
const ITERATIONS = 5200;

export interface KeyedDevice {
  readonly deviceId: string;
  readonly identityKey: Uint8Array;
}

function half(username: string, devices: readonly KeyedDevice[]): string {
  const keys = [...devices].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1)).map((d) => d.identityKey);
  const allKeys = concatBytes(...keys);
  const id = utf8.encode(username);
  let hash = concatBytes(VERSION, allKeys, id);
  for (let i = 0; i < ITERATIONS; i++) hash = sha512(concatBytes(hash, allKeys));
  let digits = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 256 + hash[chunk * 5 + i]!;
    digits += String(value % 100000).padStart(5, '0');
  }
  return digits;
}

/** The 60-digit safety number for two members, the same whichever side computes it. */
export function safetyNumber(
  a: { username: string; devices: readonly KeyedDevice[] },
  b: { username: string; devices: readonly KeyedDevice[] },
): string {
  const halves = [half(a.username, a.devices), half(b.username, b.devices)].sort();
  return halves.join('');
}

/** Groups of five digits, for display: `12345 67890 ...`. */
export function formatSafetyNumber(number: string): string {
  return number.match(/.{1,5}/g)?.join(' ') ?? number;
}
