/**
 * @module group-calls/sfu-room
 * What the CLI's and the browser's group call media both read from the SFU, read one way: a
 * VideoRoom answer that must be a yes, the SFU's description through the call validator, and the
 * room's events naming publishers that came or went.
 */
import { candidatePolicy, type CandidatePolicy } from '../calls/candidate-filter.js';
import type { IpAddress } from '../calls/ip-address.js';
import { validateSdp, type SdpKind } from '../calls/sdp-validator.js';
import { JanusError, type JanusJsep, type VideoRoomAnswer } from './janus-session.js';

/** The answer, or a JanusError that says what the SFU would not let this device do, in its words. */
export function requireVideoRoom(answer: VideoRoomAnswer, what: string): Extract<VideoRoomAnswer, { ok: true }> {
  if (!answer.ok) throw new JanusError(`The SFU would not let this device ${what}: ${answer.code} ${answer.reason}.`);
  return answer;
}

/**
 * The SFU's description through the same validator as a peer's (normalised), or a JanusError
 * naming the code. `video`: a VP8 section may follow the audio one, as in a 1:1 video call (the
 * browser; the CLI subscribes to audio only and allows none).
 */
export function checkSfuDescription(jsep: JanusJsep | undefined, kind: SdpKind, policy: CandidatePolicy, video = false): string {
  if (!jsep || jsep.type !== kind) throw new JanusError(`The SFU sent no ${kind}.`);
  const result = validateSdp(jsep.sdp, kind, { candidatePolicy: policy, video });
  if (!result.ok) throw new JanusError(`The SFU's ${kind} was refused (SDP_${result.code}): ${result.message}.`);
  return result.sdp.sdp;
}

/**
 * Which of the SFU's candidates a device tries: the rule of a 1:1 call's peer, for the browser and
 * the CLI alike. A public address; a private one only in one of this device's own networks (an SFU
 * on the member's LAN), so the SFU cannot aim this device's checks at other hosts of its LAN; no
 * private one at all relay-only; loopback only where a test says so.
 */
export function sfuCandidatePolicy(options: { readonly allowLoopback: boolean; readonly relayOnly: boolean }, localHosts: readonly IpAddress[]): CandidatePolicy {
  return candidatePolicy({ allowLoopback: options.allowLoopback, allowPrivate: !options.relayOnly, localHosts });
}

/** One participant's feed at the SFU, as a `publishers` list names it. */
export interface PublishedFeed {
  readonly feed: number;
  /** The mid of its audio stream, where the SFU says (a member who wants no video subscribes to it alone). */
  readonly audioMid: string | undefined;
}

/** Streams of one publisher read at most: an audio and a video one are all a member sends. */
const MAX_STREAMS_READ = 4;
const MID = /^[A-Za-z0-9_-]{1,16}$/;

/** The feeds a `publishers` list names, this device's own left out, at most `max` of them read. */
export function publisherFeeds(publishers: unknown, ownFeed: number, max: number): PublishedFeed[] {
  if (!Array.isArray(publishers)) return [];
  return publishers.slice(0, max).flatMap((publisher: unknown) => {
    if (typeof publisher !== 'object' || publisher === null) return [];
    const { id: feed, streams } = publisher as { id?: unknown; streams?: unknown };
    if (typeof feed !== 'number' || feed === ownFeed) return [];
    return [{ feed, audioMid: audioMidOf(streams) }];
  });
}

function audioMidOf(streams: unknown): string | undefined {
  if (!Array.isArray(streams)) return undefined;
  for (const stream of streams.slice(0, MAX_STREAMS_READ) as unknown[]) {
    if (typeof stream !== 'object' || stream === null) continue;
    const { type, mid } = stream as { type?: unknown; mid?: unknown };
    if (type === 'audio' && typeof mid === 'string' && MID.test(mid)) return mid;
  }
  return undefined;
}

/** The feeds a room event says are gone (`leaving`, `unpublished`). */
export function departedFeeds(data: Readonly<Record<string, unknown>>): number[] {
  return [data['leaving'], data['unpublished']].filter((feed): feed is number => typeof feed === 'number');
}
