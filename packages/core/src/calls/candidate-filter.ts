/**
 * @module calls/candidate-filter: strict parsing of remote ICE candidates (RFC 8839 `candidate:`
 * attribute values) and the policy that decides which of them the RTC stack may ever see.
 *
 * Pure: no node:net, no resolver. Addresses are parsed by hand into numbers, so classification
 * (loopback, link-local, metadata...) never depends on a platform's lenient parser (octal or
 * short-form IPv4, zone ids) and a hostname is never resolved: anything that is not an IP literal
 * is refused (threat scenario 3: no packets toward attacker-chosen names or internal services).
 */
import { classifyIp, parseIp, type IpAddress } from './ip-address.js';
import { sharesNetwork } from './same-network.js';

export type CandidateType = 'host' | 'srflx' | 'relay';

/** A parsed, structurally valid UDP candidate. It has not been checked against any policy. */
export interface ParsedCandidate {
  readonly foundation: string;
  readonly component: number;
  readonly transport: 'udp';
  readonly priority: number;
  /** The connection address exactly as sent (an IP literal or, to be refused, a hostname). */
  readonly address: string;
  /** The parsed IP, or null when `address` is a hostname (the policy refuses those). */
  readonly ip: IpAddress | null;
  readonly port: number;
  readonly type: CandidateType;
  readonly relatedAddress: string | null;
  readonly relatedPort: number | null;
  /** Extension attributes (generation, ufrag, network-id, ...), bounded in number and size. */
  readonly extensions: readonly (readonly [string, string])[];
}

/** Why a candidate was refused. Stable: logs and tests match on these. */
export type CandidateErrorCode =
  | 'MALFORMED'
  | 'BAD_TRANSPORT'
  | 'BAD_TYPE'
  | 'TOO_MANY'
  | 'HOSTNAME'
  | 'MDNS'
  | 'LOOPBACK'
  | 'LINK_LOCAL'
  | 'METADATA'
  | 'UNSPECIFIED'
  | 'MULTICAST'
  | 'BROADCAST'
  | 'RESERVED'
  | 'PRIVATE'
  | 'NOT_RELAY'
  | 'PRIVILEGED_PORT';

export interface CandidateRejection {
  readonly ok: false;
  readonly code: CandidateErrorCode;
  readonly message: string;
}

export type ParseCandidateResult = { readonly ok: true; readonly candidate: ParsedCandidate } | CandidateRejection;
export type FilterCandidateResult = { readonly ok: true; readonly candidate: ParsedCandidate } | CandidateRejection;

export interface CandidatePolicy {
  /** Remote candidates accepted per call, counting every one received (accepted or not). */
  readonly maxCandidates: number;
  /** 127.0.0.0/8 and ::1; only for tests on one machine. */
  readonly allowLoopback: boolean;
  /**
   * RFC 1918, 100.64.0.0/10 (CGNAT) and fc00::/7 (ULA): false refuses them all (relay-only and
   * lockdown calls). When true, a private candidate is still accepted only in a network of one
   * of `localHosts`, so a peer cannot aim this device's connectivity checks at its LAN.
   */
  readonly allowPrivate: boolean;
  /** This device's own host candidates in the current call (none before it gathered any). */
  readonly localHosts: readonly IpAddress[];
  /** 169.254.0.0/16 and fe80::/10. Cloud metadata addresses stay refused even when this is true. */
  readonly allowLinkLocal: boolean;
  /** Only `typ relay`: used for relay-only calls. */
  readonly relayOnly: boolean;
}

export const DEFAULT_CANDIDATE_POLICY: CandidatePolicy = Object.freeze({
  maxCandidates: 20,
  allowLoopback: false,
  allowPrivate: true,
  localHosts: Object.freeze([]),
  allowLinkLocal: false,
  relayOnly: false,
});

/** Fills in defaults; a non-finite or negative cap becomes 0 (refuse everything), never unbounded. */
export function candidatePolicy(overrides: Partial<CandidatePolicy> = {}): CandidatePolicy {
  const merged = { ...DEFAULT_CANDIDATE_POLICY, ...overrides };
  const cap = Number.isSafeInteger(merged.maxCandidates) && merged.maxCandidates > 0 ? merged.maxCandidates : 0;
  return Object.freeze({ ...merged, maxCandidates: cap, localHosts: Object.freeze([...merged.localHosts]) });
}

/**
 * Ports below this are a host's services (DNS 53, NTP 123, SNMP 161...), never an ICE agent's:
 * a peer candidate there could only aim this device's connectivity checks at one.
 */
export const MIN_PEER_PORT = 1024;

/** Longest candidate attribute we parse; the SDP validator caps lines at the same length. */
export const MAX_CANDIDATE_LENGTH = 1024;
const MAX_EXTENSIONS = 8;
const MAX_EXTENSION_TOKEN = 64;
const MAX_HOSTNAME = 253;
const MAX_PRIORITY = 2 ** 31 - 1; // RFC 8445 §5.1.2.1

const ICE_CHARS = /^[A-Za-z0-9+/]{1,32}$/;
const DIGITS = /^[0-9]{1,10}$/;
const TOKEN = /^[\x21-\x7e]{1,64}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

const reject = (code: CandidateErrorCode, message: string): CandidateRejection => ({ ok: false, code, message });

// ---------------------------------------------------------------------------------------------
// Parsing.

/**
 * Parses one candidate: `candidate:<foundation> <component> <transport> <priority> <address>
 * <port> typ <type> [raddr <a>] [rport <p>] *(<name> <value>)`. A leading `a=` is tolerated.
 * Structural problems are 'MALFORMED'; well-formed but unwanted candidates (TCP, prflx) get
 * their own codes so the SDP validator can drop them instead of failing the whole description.
 */
export function parseCandidate(line: string): ParseCandidateResult {
  if (typeof line !== 'string') return reject('MALFORMED', 'candidate is not a string');
  if (line.length > MAX_CANDIDATE_LENGTH) return reject('MALFORMED', `candidate longer than ${MAX_CANDIDATE_LENGTH} characters`);
  if (!/^[\x20-\x7e]*$/.test(line)) return reject('MALFORMED', 'candidate contains non-ASCII or control characters');
  let body = line.startsWith('a=') ? line.slice(2) : line;
  if (!body.startsWith('candidate:')) return reject('MALFORMED', "candidate does not start with 'candidate:'");
  body = body.slice('candidate:'.length);
  const fields = body.split(' ');
  if (fields.some((f) => f === '')) return reject('MALFORMED', 'candidate has empty fields (repeated or edge spaces)');
  if (fields.length < 8) return reject('MALFORMED', 'candidate has fewer than 8 fields');
  const [foundation, componentText, transportText, priorityText, address, portText, typKeyword, typeText] =
    fields as [string, string, string, string, string, string, string, string];
  if (!ICE_CHARS.test(foundation)) return reject('MALFORMED', 'candidate foundation must be 1-32 ice-chars');
  if (!/^[0-9]{1,3}$/.test(componentText) || Number(componentText) < 1 || Number(componentText) > 256) {
    return reject('MALFORMED', 'candidate component must be 1-256');
  }
  if (!/^[A-Za-z]{1,8}$/.test(transportText)) return reject('MALFORMED', 'candidate transport is not a token');
  if (transportText.toLowerCase() !== 'udp') return reject('BAD_TRANSPORT', `candidate transport ${transportText} refused: UDP only`);
  if (!DIGITS.test(priorityText) || Number(priorityText) < 1 || Number(priorityText) > MAX_PRIORITY) {
    return reject('MALFORMED', 'candidate priority must be 1 to 2^31-1');
  }
  const ip = parseIp(address);
  if (!ip) {
    if (address.includes('%')) return reject('MALFORMED', 'candidate address with a zone id refused');
    if (address.length > MAX_HOSTNAME || !HOSTNAME.test(address) || /^[0-9.]+$/.test(address)) {
      return reject('MALFORMED', 'candidate address is neither an IP literal nor a hostname');
    }
  }
  const port = parsePort(portText, 1);
  if (port === null) return reject('MALFORMED', 'candidate port must be 1-65535');
  if (typKeyword !== 'typ') return reject('MALFORMED', "candidate lacks 'typ'");
  if (typeText === 'prflx') return reject('BAD_TYPE', 'peer-reflexive candidates are never accepted from a peer');
  if (typeText !== 'host' && typeText !== 'srflx' && typeText !== 'relay') {
    return reject('BAD_TYPE', 'candidate type must be host, srflx or relay');
  }

  const rest = fields.slice(8);
  if (rest.length % 2 !== 0) return reject('MALFORMED', 'candidate extension without a value');
  if (rest.length / 2 > MAX_EXTENSIONS + 2) return reject('MALFORMED', `more than ${MAX_EXTENSIONS} candidate extensions`);
  let relatedAddress: string | null = null;
  let relatedPort: number | null = null;
  const extensions: (readonly [string, string])[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i] ?? '';
    const value = rest[i + 1] ?? '';
    if (seen.has(name)) return reject('MALFORMED', `candidate repeats '${name.slice(0, 32)}'`);
    seen.add(name);
    if (name === 'raddr') {
      if (!parseIp(value)) return reject('MALFORMED', 'candidate raddr must be an IP literal');
      relatedAddress = value;
    } else if (name === 'rport') {
      relatedPort = parsePort(value, 0); // Chrome sends "rport 0" when it hides the base address
      if (relatedPort === null) return reject('MALFORMED', 'candidate rport must be 0-65535');
    } else {
      if (!TOKEN.test(name) || name.length > MAX_EXTENSION_TOKEN || !TOKEN.test(value)) {
        return reject('MALFORMED', 'candidate extension name or value is not a bounded token');
      }
      if (extensions.length >= MAX_EXTENSIONS) return reject('MALFORMED', `more than ${MAX_EXTENSIONS} candidate extensions`);
      extensions.push([name, value]);
    }
  }
  return {
    ok: true,
    candidate: {
      foundation, component: Number(componentText), transport: 'udp', priority: Number(priorityText),
      address, ip, port, type: typeText, relatedAddress, relatedPort, extensions,
    },
  };
}

function parsePort(text: string, min: number): number | null {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= 65535 ? n : null;
}

// ---------------------------------------------------------------------------------------------
// Policy.

/**
 * Decides whether a parsed remote candidate may be handed to the RTC stack.
 * `countSoFar` is the number of remote candidates already received for this call (accepted or
 * refused), so a flood of bad candidates exhausts the budget as surely as good ones.
 */
export function filterCandidate(candidate: ParsedCandidate, policy: CandidatePolicy, countSoFar: number): FilterCandidateResult {
  if (!(countSoFar < policy.maxCandidates)) {
    return reject('TOO_MANY', `more than ${policy.maxCandidates} remote candidates for this call`);
  }
  if (policy.relayOnly && candidate.type !== 'relay') {
    return reject('NOT_RELAY', `relay-only call: ${candidate.type} candidate refused`);
  }
  if (!candidate.ip) {
    // mDNS (.local) names would need a resolver on our side and expose our LAN to lookups we did
    // not choose; we refuse them rather than resolve. Browsers that obfuscate host candidates still
    // connect through srflx/relay candidates, or via peer-reflexive discovery once checks start.
    if (/\.local\.?$/i.test(candidate.address)) return reject('MDNS', 'mDNS (.local) candidate refused: no name resolution');
    return reject('HOSTNAME', 'candidate address must be an IP literal, not a hostname');
  }
  const refused = refusedAddress(candidate.ip, policy);
  if (refused) return refused;
  if (candidate.port < MIN_PEER_PORT) return reject('PRIVILEGED_PORT', `candidate port below ${MIN_PEER_PORT} refused`);
  return { ok: true, candidate };
}

/** Why the policy refuses this address, or null when it allows it. */
function refusedAddress(ip: IpAddress, policy: CandidatePolicy): CandidateRejection | null {
  switch (classifyIp(ip)) {
    case 'unspecified': return reject('UNSPECIFIED', 'unspecified address refused');
    case 'metadata': return reject('METADATA', 'cloud metadata address refused');
    case 'multicast': return reject('MULTICAST', 'multicast address refused');
    case 'broadcast': return reject('BROADCAST', 'broadcast address refused');
    case 'reserved': return reject('RESERVED', 'reserved or deprecated address refused');
    case 'loopback':
      return policy.allowLoopback ? null : reject('LOOPBACK', 'loopback address refused');
    case 'link-local':
      return policy.allowLinkLocal ? null : reject('LINK_LOCAL', 'link-local address refused');
    case 'private':
      if (!policy.allowPrivate) return reject('PRIVATE', 'private address refused by policy');
      return sharesNetwork(ip, policy.localHosts) ? null : reject('PRIVATE', "private address outside this device's own networks refused");
    case 'public':
      return null;
  }
}

/** Parse then filter, for `ice` signals. */
export function checkRemoteCandidate(line: string, policy: CandidatePolicy, countSoFar: number): FilterCandidateResult {
  if (!(countSoFar < policy.maxCandidates)) {
    return reject('TOO_MANY', `more than ${policy.maxCandidates} remote candidates for this call`);
  }
  const parsed = parseCandidate(line);
  return parsed.ok ? filterCandidate(parsed.candidate, policy, countSoFar) : parsed;
}
