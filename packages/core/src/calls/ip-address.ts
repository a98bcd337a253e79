/**
 * @module calls/ip-address: IP literals parsed by hand into numbers, and the address classes the
 * candidate policy cares about. By hand so that classification (loopback, link-local, metadata...)
 * never depends on a platform's lenient parser (octal or short-form IPv4, zone ids).
 */

export type IpAddress =
  | { readonly family: 4; readonly octets: readonly [number, number, number, number] }
  /** Eight 16-bit groups. */
  | { readonly family: 6; readonly groups: readonly number[] };

/** Strict dotted quad: four decimal parts 0-255, no leading zeros, nothing else. */
export function parseIpv4(text: string): IpAddress | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    octets.push(value);
  }
  return { family: 4, octets: octets as unknown as [number, number, number, number] };
}

/**
 * Strict IPv6: hex groups of 1-4 digits, at most one `::`, an optional trailing dotted quad.
 * Zone ids (`%eth0`) and brackets are refused: a remote peer has no business naming our interfaces.
 */
export function parseIpv6(text: string): IpAddress | null {
  if (text.length < 2 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseSide = (side: string, allowV4Tail: boolean): number[] | null => {
    if (side === '') return [];
    const pieces = side.split(':');
    const out: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (allowV4Tail && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4 || v4.family !== 4) return null;
        const [a, b, c, d] = v4.octets;
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return null;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  if (halves.length === 1) {
    const groups = parseSide(text, true);
    return groups && groups.length === 8 ? { family: 6, groups } : null;
  }
  const head = parseSide(halves[0] ?? '', false);
  const tail = parseSide(halves[1] ?? '', true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return { family: 6, groups };
}

export function parseIp(text: string): IpAddress | null {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** Address classes the policy cares about; 'public' is everything else (including documentation ranges). */
export type AddressClass =
  | 'unspecified' | 'loopback' | 'metadata' | 'link-local' | 'multicast' | 'broadcast' | 'reserved' | 'private' | 'public';

function classifyV4(o: readonly [number, number, number, number]): AddressClass {
  const [a, b, c, d] = o;
  if (a === 0) return 'unspecified'; // 0.0.0.0/8, "this network"
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata'; // AWS, GCP, Azure, OpenStack
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'metadata'; // Alibaba Cloud
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a === 255 && b === 255 && c === 255 && d === 255) return 'broadcast';
  if (a >= 240) return 'reserved';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // CGNAT, RFC 6598
  return 'public';
}

export function classifyIp(ip: IpAddress): AddressClass {
  if (ip.family === 4) return classifyV4(ip.octets);
  const g = ip.groups;
  const at = (i: number): number => g[i] ?? 0;
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && at(7) === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d: classify the embedded address, so ::ffff:127.0.0.1 is loopback.
  if (zeroUpTo(5) && at(5) === 0xffff) {
    return classifyV4([at(6) >> 8, at(6) & 0xff, at(7) >> 8, at(7) & 0xff]);
  }
  const embeddedV4 = (): AddressClass => classifyV4([at(6) >> 8, at(6) & 0xff, at(7) >> 8, at(7) & 0xff]);
  // IPv4-translated ::ffff:0:a.b.c.d (RFC 2765) and NAT64 64:ff9b::a.b.c.d (RFC 6052) reach the
  // embedded IPv4 address through a translator: classify that, so 64:ff9b::a9fe:a9fe is metadata.
  if (zeroUpTo(4) && at(4) === 0xffff && at(5) === 0) return embeddedV4();
  if (at(0) === 0x64 && at(1) === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return embeddedV4();
  // 64:ff9b:1::/48 is for local NAT64 deployments (RFC 8215): a private network.
  if (at(0) === 0x64 && at(1) === 0xff9b && at(2) === 1) return 'private';
  if (zeroUpTo(6)) return 'reserved'; // deprecated IPv4-compatible ::a.b.c.d
  // fd00:ec2::254, the AWS metadata service over IPv6.
  if (at(0) === 0xfd00 && at(1) === 0x0ec2 && g.slice(2, 7).every((x) => x === 0) && at(7) === 0x254) return 'metadata';
  if ((at(0) & 0xffc0) === 0xfe80) return 'link-local';
  if ((at(0) & 0xffc0) === 0xfec0) return 'reserved'; // deprecated site-local
  if ((at(0) & 0xff00) === 0xff00) return 'multicast';
  if ((at(0) & 0xfe00) === 0xfc00) return 'private'; // ULA fc00::/7
  return 'public';
}
