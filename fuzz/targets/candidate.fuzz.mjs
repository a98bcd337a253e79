/**
 * @module fuzz/targets/candidate
 * A remote ICE candidate line (UTF-8 text, as an `ice` call signal carries it) through
 * `parseCandidate`, then `filterCandidate` under every policy variant, and `checkRemoteCandidate`,
 * which must agree with the two steps. Whatever is accepted must be allowed by the policy; the
 * IP literals in it are cross-checked against Node's parsers (fuzz/lib/ip-oracle.mjs).
 */
import { classifyIp, candidatePolicy, checkRemoteCandidate, filterCandidate, parseCandidate, parseIp } from '@sotto/core';
import { checkIpParsers } from '../lib/ip-oracle.mjs';

const CODES = new Set([
  'MALFORMED', 'BAD_TRANSPORT', 'BAD_TYPE', 'TOO_MANY', 'HOSTNAME', 'MDNS', 'LOOPBACK', 'LINK_LOCAL', 'METADATA',
  'UNSPECIFIED', 'MULTICAST', 'BROADCAST', 'RESERVED', 'PRIVATE', 'NOT_RELAY', 'PRIVILEGED_PORT',
]);
const PARSE_CODES = new Set(['MALFORMED', 'BAD_TRANSPORT', 'BAD_TYPE']);
/** Every combination of the four switches, with a small budget so TOO_MANY is reachable. */
const POLICIES = Array.from({ length: 16 }, (_, bits) => candidatePolicy({
  maxCandidates: 4,
  allowLoopback: (bits & 1) !== 0,
  allowPrivate: (bits & 2) !== 0,
  allowLinkLocal: (bits & 4) !== 0,
  relayOnly: (bits & 8) !== 0,
}));
const decoder = new TextDecoder();

function fail(line, why) {
  throw new Error(`candidate ${JSON.stringify(line)}: ${why}`);
}

function checkRefusal(line, result, codes) {
  if (!codes.has(result.code) || typeof result.message !== 'string') fail(line, `refused with unknown code ${result.code}`);
}

function checkParsed(line, c) {
  const ok = c.transport === 'udp' && ['host', 'srflx', 'relay'].includes(c.type)
    && c.component >= 1 && c.component <= 256 && c.priority >= 1 && c.priority <= 2 ** 31 - 1
    && c.port >= 1 && c.port <= 65535 && c.extensions.length <= 8
    && (c.relatedPort === null || (c.relatedPort >= 0 && c.relatedPort <= 65535))
    && (c.relatedAddress === null || parseIp(c.relatedAddress) !== null)
    && JSON.stringify(c.ip) === JSON.stringify(parseIp(c.address));
  if (!ok) fail(line, `parsed into out-of-range fields ${JSON.stringify(c)}`);
}

/** What an accepted candidate may be, policy by policy. */
function checkAccepted(line, c, policy) {
  if (policy.relayOnly && c.type !== 'relay') fail(line, 'non-relay accepted by a relay-only policy');
  if (!c.ip) fail(line, 'hostname accepted');
  const cls = classifyIp(c.ip);
  const allowed = cls === 'public' || (cls === 'private' && policy.allowPrivate)
    || (cls === 'loopback' && policy.allowLoopback) || (cls === 'link-local' && policy.allowLinkLocal);
  if (!allowed) fail(line, `${cls} address accepted by ${JSON.stringify(policy)}`);
  // No policy here names a host candidate of this device's own, so no private address may pass.
  if (cls === 'private') fail(line, 'private address accepted with no host candidate of our own in its network');
  if (c.port < 1024) fail(line, `privileged port ${c.port} accepted`);
}

/** @param {Buffer} data */
export function fuzz(data) {
  const line = decoder.decode(data);
  const parsed = parseCandidate(line);
  if (parsed.ok) checkParsed(line, parsed.candidate);
  else checkRefusal(line, parsed, PARSE_CODES);

  for (const policy of POLICIES) {
    for (const count of [0, policy.maxCandidates - 1, policy.maxCandidates]) {
      const direct = checkRemoteCandidate(line, policy, count);
      if (direct.ok) checkAccepted(line, direct.candidate, policy);
      else checkRefusal(line, direct, CODES);
      if (count >= policy.maxCandidates && (direct.ok || direct.code !== 'TOO_MANY')) fail(line, 'over budget but not TOO_MANY');
      const stepwise = parsed.ok ? filterCandidate(parsed.candidate, policy, count) : parsed;
      const expected = count >= policy.maxCandidates ? 'TOO_MANY' : stepwise.ok ? 'ok' : stepwise.code;
      if ((direct.ok ? 'ok' : direct.code) !== expected) fail(line, `checkRemoteCandidate says ${direct.ok ? 'ok' : direct.code}, parse+filter ${expected}`);
    }
  }

  // The IP parsers on their own: the whole input, and each field that could be an address.
  if (line.length <= 64) checkIpParsers(line);
  for (const field of line.split(' ', 16)) if (field.length <= 64) checkIpParsers(field);
}
