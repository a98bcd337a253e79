/**
 * @module group-calls/sfu-room
 * What the CLI's and the browser's group call media both read from the SFU, read one way: a
 * VideoRoom answer that must be a yes, the SFU's description through the call validator, and the
 * room's events naming publishers that came or went.
 */
import type { CandidatePolicy } from '../calls/candidate-filter.js';
import { validateSdp, type SdpKind } from '../calls/sdp-validator.js';
import { JanusError, type JanusJsep, type VideoRoomAnswer } from './janus-session.js';

/** The answer, or a JanusError that says what the SFU would not let this device do, in its words. */
export function requireVideoRoom(answer: VideoRoomAnswer, what: string): Extract<VideoRoomAnswer, { ok: true }> {
  if (!answer.ok) throw new JanusError(`The SFU would not let this device ${what}: ${answer.code} ${answer.reason}.`);
  return answer;
}

/** The SFU's description through the same validator as a peer's (normalised), or a JanusError naming the code. */
export function checkSfuDescription(jsep: JanusJsep | undefined, kind: SdpKind, policy: CandidatePolicy): string {
  if (!jsep || jsep.type !== kind) throw new JanusError(`The SFU sent no ${kind}.`);
  const result = validateSdp(jsep.sdp, kind, { candidatePolicy: policy });
  if (!result.ok) throw new JanusError(`The SFU's ${kind} was refused (SDP_${result.code}): ${result.message}.`);
  return result.sdp.sdp;
}

/** The feeds a `publishers` list names, this device's own left out, at most `max` of them read. */
export function publisherFeeds(publishers: unknown, ownFeed: number, max: number): number[] {
  if (!Array.isArray(publishers)) return [];
  return publishers.slice(0, max).flatMap((publisher: unknown) => {
    const feed = typeof publisher === 'object' && publisher !== null ? (publisher as { id?: unknown }).id : undefined;
    return typeof feed === 'number' && feed !== ownFeed ? [feed] : [];
  });
}

/** The feeds a room event says are gone (`leaving`, `unpublished`). */
export function departedFeeds(data: Readonly<Record<string, unknown>>): number[] {
  return [data['leaving'], data['unpublished']].filter((feed): feed is number => typeof feed === 'number');
}
