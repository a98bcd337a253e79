/**
 * @module option-values
 * Command-line values read strictly, so a typo is refused instead of becoming another value:
 * whole numbers in decimal digits within a range, and the server URL. A bad value is a usage
 * error (INVALID_INPUT, exit code 2) naming the flag or the environment variable it came from.
 */
import { ClientError } from '@sotto/core';
import { parseDecimalDigits } from '@sotto/server/config';

export interface WholeNumberRange {
  readonly min: number;
  readonly max: number;
}

/** `text` as a whole number; `name` is how the user gave it (`--days`, `SOTTO_PORT`). */
export function wholeNumber(text: string, name: string, range?: WholeNumberRange): number {
  const value = parseDecimalDigits(text);
  if (value === undefined) {
    throw new ClientError('INVALID_INPUT', `${name} takes a whole number in decimal digits, not ${JSON.stringify(text)}.`);
  }
  if (range && (value < range.min || value > range.max)) {
    throw new ClientError('INVALID_INPUT', `${name} must be a whole number from ${range.min} to ${range.max}, not ${text}.`);
  }
  return value;
}

const MIB = 1024 * 1024;

/**
 * `text` as a whole number of mebibytes (1 MB here is 1,048,576 bytes), in bytes; the range is in
 * mebibytes, as the user typed them.
 */
export function mebibytes(text: string, name: string, range: WholeNumberRange): number {
  return wholeNumber(text, name, range) * MIB;
}

/** The schemes a client can reach a server by; ws(s) name the same server as http(s). */
const SERVER_SCHEMES: Readonly<Record<string, string>> = { 'http:': 'http:', 'https:': 'https:', 'ws:': 'http:', 'wss:': 'https:' };

/**
 * The server's base URL from `--server`: http://, https://, ws:// or wss:// with a host. A
 * ws(s) URL is kept as the http(s) URL of the same server, the form the client stores. Any
 * other scheme is refused before a name is looked up or a profile is made.
 */
export function serverUrl(text: string, name = '--server'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ClientError('INVALID_INPUT', `${name} takes the server's URL, such as http://127.0.0.1:8080, not ${JSON.stringify(text)}.`);
  }
  const scheme = SERVER_SCHEMES[url.protocol];
  if (scheme === undefined) {
    throw new ClientError('INVALID_INPUT', `${name} must be an http://, https://, ws:// or wss:// URL, not ${JSON.stringify(text)}.`);
  }
  if (url.hostname === '') throw new ClientError('INVALID_INPUT', `${name} names no host: ${JSON.stringify(text)}.`);
  // Never echoed: it would be a password on the command line.
  if (url.username !== '' || url.password !== '') throw new ClientError('INVALID_INPUT', `${name} must not carry a user name or password.`);
  if (scheme === url.protocol) return text;
  url.protocol = scheme;
  return url.toString();
}

/** An environment variable's value; set but empty counts as unset, as in `${NAME:-default}`. */
export function environment(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}
