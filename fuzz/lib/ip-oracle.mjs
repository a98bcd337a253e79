/**
 * @module fuzz/lib/ip-oracle
 * Differential checks of the candidate filter's hand-written IP parsers against Node's own
 * (`net.isIPv4`, `net.isIPv6`) and the WHATWG URL parser. The filter parses by hand so that no
 * platform leniency decides what is loopback; these checks make sure "by hand" still means the
 * same addresses as everyone else. Zone ids (`%eth0`) are the one intended difference.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { classifyIp, parseIpv4, parseIpv6 } from '@sotto/core';

/** WHATWG URL's IPv6 serialisation: lower-case hex, the first longest run of 2+ zero groups as `::`. */
function serialiseIpv6(groups) {
  let start = -1;
  let length = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > length) { start = i; length = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (length < 2) return hex.join(':');
  return `${hex.slice(0, start).join(':')}::${hex.slice(start + length).join(':')}`;
}

function urlHost(text) {
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/** Throws when the hand-written parsers and the platform disagree about `text`. */
export function checkIpParsers(text) {
  const fail = (why) => { throw new Error(`IP parsers disagree on ${JSON.stringify(text)}: ${why}`); };
  const v4 = parseIpv4(text);
  if ((v4 !== null) !== isIPv4(text)) fail(`parseIpv4 ${v4 ? 'accepts' : 'refuses'}, net.isIPv4 ${isIPv4(text)}`);
  if (v4) {
    if (v4.octets.join('.') !== text) fail(`parseIpv4 read ${v4.octets.join('.')}`);
    // An IPv4 address and its IPv4-mapped IPv6 form are the same host, so the same class.
    // So are its NAT64 (64:ff9b::/96) and IPv4-translated (::ffff:0:0/96) forms.
    for (const form of [`::ffff:${text}`, `64:ff9b::${text}`, `::ffff:0:${text}`]) {
      const embedded = parseIpv6(form);
      if (!embedded || classifyIp(embedded) !== classifyIp(v4)) fail(`${form} classified ${embedded && classifyIp(embedded)}, ${text} ${classifyIp(v4)}`);
    }
  }
  const v6 = parseIpv6(text);
  const nodeV6 = isIPv6(text) && !text.includes('%');
  if ((v6 !== null) !== nodeV6) fail(`parseIpv6 ${v6 ? 'accepts' : 'refuses'}, net.isIPv6 ${isIPv6(text)}`);
  if (v6) {
    if (v6.groups.length !== 8 || v6.groups.some((g) => !(g >= 0 && g <= 0xffff))) fail(`parseIpv6 groups ${v6.groups}`);
    const host = urlHost(text);
    if (host !== null && host !== serialiseIpv6(v6.groups)) fail(`parseIpv6 read ${serialiseIpv6(v6.groups)}, URL read ${host}`);
  }
}
