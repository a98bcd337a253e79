/**
 * @module fuzz/targets/sdp
 * `validateSdp` on arbitrary UTF-8 text, as offer and as answer, under three candidate policies,
 * for a voice call and (when the text has a video section) a video call.
 * It must never throw, and never reach its catch-all either (its comment says no path is
 * expected to throw: reaching it hides a bug). TOO_LARGE must mean more than 16 KiB of UTF-8,
 * exactly. A refusal carries a stable code and a short message; an acceptance must hold what
 * `ValidatedSdp` promises, and its normalised SDP must validate again to itself.
 */
import {
  DEFAULT_CANDIDATE_POLICY, MAX_SDP_LENGTH, SDP_ERROR_CODES, candidatePolicy, filterCandidate, validateSdp,
} from '@sotto/core';

const KINDS = ['offer', 'answer'];
const POLICIES = [
  DEFAULT_CANDIDATE_POLICY,
  candidatePolicy({ relayOnly: true, allowPrivate: false }),
  candidatePolicy({ allowLoopback: true, allowLinkLocal: true, maxCandidates: 3 }),
];
const CATCH_ALL = 'SDP could not be validated';
const FINGERPRINT = /^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/;
/** Messages name a line and a few characters of it, never echo a description back. */
const MAX_MESSAGE = 256;
const decoder = new TextDecoder();

function check(sdp, kind, policy, video) {
  const fail = (why) => {
    throw new Error(`validateSdp(${kind}, ${JSON.stringify(policy)}, video ${video}): ${why}`);
  };
  const r = validateSdp(sdp, kind, { candidatePolicy: policy, video });
  // The size limit is in UTF-8 bytes and checked before anything else, by its own byte counter.
  const tooLarge = Buffer.byteLength(sdp, 'utf8') > MAX_SDP_LENGTH;
  if (tooLarge !== (!r.ok && r.code === 'TOO_LARGE')) fail(`${Buffer.byteLength(sdp, 'utf8')} bytes but ${r.ok ? 'ok' : r.code}`);
  if (!r.ok) {
    if (r.message === CATCH_ALL) fail('an exception reached the catch-all (rerun with the catch removed to see it)');
    if (!SDP_ERROR_CODES.includes(r.code)) fail(`unknown code ${r.code}`);
    if (typeof r.message !== 'string' || r.message.length > MAX_MESSAGE) fail(`message of ${r.message.length} characters`);
    return;
  }
  const v = r.sdp;
  if (v.kind !== kind) fail(`kind ${v.kind}`);
  if (!FINGERPRINT.test(v.fingerprint)) fail(`fingerprint ${v.fingerprint}`);
  if (!['actpass', 'active', 'passive'].includes(v.setup) || (kind === 'answer' && v.setup === 'actpass')) fail(`setup ${v.setup}`);
  if (!v.codecs.some((c) => c.name === 'opus')) fail('accepted without Opus');
  if (!video && v.videoCodecs.length > 0) fail('video codecs accepted in a voice call');
  if (v.videoCodecs.some((c) => c.name !== 'vp8' && c.name !== 'rtx')) fail('a video codec other than VP8 and rtx');
  if (v.candidates.length > policy.maxCandidates) fail(`${v.candidates.length} candidates over a budget of ${policy.maxCandidates}`);
  v.candidates.forEach((c, i) => {
    if (!filterCandidate(c, policy, 0).ok) fail(`candidate ${i} accepted but refused by the policy on its own`);
  });
  if (!v.sdp.endsWith('\r\n') || v.sdp.slice(0, -2).split('\r\n').some((l) => l === '' || l.includes('\n') || l.includes('\r'))) {
    fail('normalised SDP is not CRLF lines');
  }
  // Normalising adds a CR per line, so an input just under the limit may come out over it.
  if (v.sdp.length > MAX_SDP_LENGTH) return;
  const again = validateSdp(v.sdp, kind, { candidatePolicy: policy, video });
  if (!again.ok) fail(`normalised SDP refused on a second pass: ${again.code} ${again.message}`);
  if (again.sdp.sdp !== v.sdp || again.sdp.fingerprint !== v.fingerprint || again.sdp.droppedCandidates.length !== 0) {
    fail('normalised SDP is not a fixed point');
  }
}

/** @param {Buffer} data */
export function fuzz(data) {
  const sdp = decoder.decode(data);
  // The policy only decides about candidate lines: without one, the other policies add nothing.
  const policies = sdp.includes('candidate') ? POLICIES : POLICIES.slice(0, 1);
  const videos = sdp.includes('m=video') ? [false, true] : [false];
  for (const kind of KINDS) for (const policy of policies) for (const video of videos) check(sdp, kind, policy, video);
}
