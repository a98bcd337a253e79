/**
 * @module versions
 * Protocol and software versions, and the comparison the server uses to refuse
 * outdated clients.
 */

/** Wire protocol version carried in every frame header and in Hello. */
export const PROTOCOL_VERSION = 1;

/** Version of this Sotto release; clients send it in Hello. */
export const SOFTWARE_VERSION = '0.1.0';

const SEMVER = /^(\d{1,6})\.(\d{1,6})\.(\d{1,6})$/;

/** Parses `MAJOR.MINOR.PATCH`; returns undefined for anything else. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const match = SEMVER.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Negative if a < b, zero if equal, positive if a > b. Unparseable versions sort lowest. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0);
  for (let i = 0; i < 3; i++) {
    const diff = pa[i]! - pb[i]!;
    if (diff !== 0) return diff;
  }
  return 0;
}
