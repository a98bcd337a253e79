/**
 * @module rate-limits/address-key
 * The key an address is limited by. IPv4 addresses count one by one; IPv6 addresses by their /64,
 * since one home or phone gets a whole /64 and could otherwise mint a fresh address per request.
 * Loopback is not limited by address: behind a reverse proxy on the same machine every member
 * would share it (set trustProxy so the proxy's X-Forwarded-For names the client instead).
 */
import { isIP } from 'node:net';

/** The limiting key for `address`, or undefined when the address is not limited (loopback, unknown). */
export function addressKey(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  switch (isIP(ip)) {
    case 4:
      return ip.startsWith('127.') ? undefined : ip;
    case 6: {
      const groups = expandIpv6(ip);
      if (groups.every((g, i) => (i < 7 ? g === 0 : g === 1))) return undefined; // ::1
      return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
    }
    default:
      return undefined;
  }
}

/** The eight 16-bit groups of an IPv6 address (already checked by isIP). */
function expandIpv6(ip: string): number[] {
  const withoutZone = ip.split('%')[0]!;
  const [head, tail] = withoutZone.includes('::') ? withoutZone.split('::') : [withoutZone, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').flatMap(ipv6Group) : []);
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** One colon-separated part; an embedded IPv4 tail is two groups. */
function ipv6Group(part: string): number[] {
  if (part.includes('.')) {
    const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number];
    return [(a << 8) | b, (c << 8) | d];
  }
  return [parseInt(part, 16)];
}

/**
 * The client's address: the socket's peer, or, when `trustProxy` is set and the peer is loopback
 * (the proxy on this machine), the last address in X-Forwarded-For, which that proxy appended.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trustProxy: boolean): string | undefined {
  if (!trustProxy || addressKey(peer) !== undefined) return peer;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const last = header?.split(',').map((s) => s.trim()).filter((s) => s.length > 0).pop();
  return last && isIP(last) ? last : peer;
}
