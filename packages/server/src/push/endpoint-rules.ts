/**
 * @module push/endpoint-rules
 * Which Web Push subscriptions the server accepts, so it can never be made to send requests to a
 * host of a member's choosing (SSRF). The rule, written down in docs/PROTOCOL.md §14:
 * - the endpoint is an absolute `https:` URL of at most LIMITS.pushEndpointMaxChars characters,
 *   with no user name, password or fragment, on the default port (443);
 * - its host is on the operator's allow-list (by default the browser vendors' push services,
 *   DEFAULT_PUSH_HOSTS): `name.example` matches that host only, `*.name.example` any host under it
 *   (not `name.example` itself); IP addresses never match a pattern;
 * - only when the operator allows loopback for tests (`--push-allow-loopback`) is an endpoint on
 *   127.0.0.1, [::1] or localhost accepted as well, over http: or https:, on any port;
 * - p256dh is exactly 65 bytes starting 0x04 (an uncompressed P-256 point), auth exactly 16 bytes.
 * Each refusal is INVALID_ARGUMENT with a message naming the field.
 */
import { ErrorCode, LIMITS } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { PushSubscriptionRecord } from '../storage/domains/push.js';

/** The push services of Chrome/Edge-on-Android/Samsung/Opera (FCM), Firefox, Edge on Windows (WNS), Safari. */
export const DEFAULT_PUSH_HOSTS: readonly string[] = ['fcm.googleapis.com', '*.push.services.mozilla.com', '*.notify.windows.com', 'web.push.apple.com'];

export interface EndpointPolicy {
  /** Host names and `*.`-prefixed wildcards, lower case (see the module comment). */
  readonly hosts: readonly string[];
  /** Accept loopback endpoints too: for tests with a local receiver, never in production. */
  readonly allowLoopback: boolean;
}

/** What a client sends in SET_PUSH_SUBSCRIPTION. */
export interface PushSubscriptionInput {
  readonly endpoint: string;
  readonly p256dh: Uint8Array;
  readonly auth: Uint8Array;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_PATTERN = new RegExp(`^(?:\\*\\.)?(?:${LABEL}\\.)+${LABEL}$`);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** True for a host name (`push.example.org`) or a wildcard over one (`*.example.org`), lower case. */
export function isHostPattern(pattern: string): boolean {
  return pattern.length <= 253 && HOST_PATTERN.test(pattern) && !IPV4.test(pattern);
}

/** Whether `host` (a URL's hostname, lower case) is one the patterns name. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  if (IPV4.test(host) || host.startsWith('[')) return false;
  return patterns.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern));
}

function invalid(message: string): ServerError {
  return new ServerError(ErrorCode.INVALID_ARGUMENT, message);
}

/** The endpoint as a URL when the policy accepts it; else INVALID_ARGUMENT saying why. */
export function checkEndpoint(endpoint: string, policy: EndpointPolicy): URL {
  if (endpoint.length > LIMITS.pushEndpointMaxChars) throw invalid(`endpoint must be at most ${LIMITS.pushEndpointMaxChars} characters.`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid('endpoint must be an absolute https:// URL (the PushSubscription.endpoint the browser gave).');
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') throw invalid('endpoint must not carry a user name, password or fragment.');
  const loopback = policy.allowLoopback && LOOPBACK_HOSTS.has(url.hostname);
  if (loopback) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('endpoint must be an http:// or https:// URL.');
    return url;
  }
  if (url.protocol !== 'https:') throw invalid('endpoint must be an https:// URL.');
  if (url.port !== '') throw invalid('endpoint must use the default https port (443).');
  if (!hostAllowed(url.hostname, policy.hosts)) {
    throw invalid(`endpoint host ${url.hostname} is not a push service this server sends to; the operator allows ${policy.hosts.join(', ')}.`);
  }
  return url;
}

/** A subscription the store may keep: the endpoint checked, the keys of the right shape. */
export function checkSubscription(input: PushSubscriptionInput, policy: EndpointPolicy): PushSubscriptionRecord {
  checkEndpoint(input.endpoint, policy);
  if (input.p256dh.byteLength !== LIMITS.pushP256dhBytes || input.p256dh[0] !== 0x04) {
    throw invalid(`p256dh must be ${LIMITS.pushP256dhBytes} bytes, an uncompressed P-256 public key starting 0x04.`);
  }
  if (input.auth.byteLength !== LIMITS.pushAuthBytes) throw invalid(`auth must be ${LIMITS.pushAuthBytes} bytes.`);
  // Copies: protobuf messages may share a larger buffer.
  return { endpoint: input.endpoint, p256dh: input.p256dh.slice(), auth: input.auth.slice() };
}
