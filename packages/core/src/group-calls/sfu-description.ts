/**
 * @module group-calls/sfu-description
 * A device's own description as it goes to the SFU: complete (Janus takes candidates inside it,
 * not trickled), but only with what this device means to announce. Candidates a peer's policy
 * refuses (TCP, mDNS names) stay behind; relay-only (and lockdown) sends relay candidates only,
 * so the SFU never learns this device's addresses; RTCP extended reports and header extensions
 * the validator does not allow are left out, so the SFU's answer cannot carry them back; and so is
 * the audio level extension, which would tell the SFU in clear who speaks when.
 */
import { parseCandidate, type CandidateType } from '../calls/candidate-filter.js';
import type { IpAddress } from '../calls/ip-address.js';
import { ALLOWED_EXTMAP_URIS } from '../calls/sdp-validator.js';

/** Header extensions that carry a speaker's audio level unencrypted. */
const AUDIO_LEVELS: ReadonlySet<string> = new Set(['urn:ietf:params:rtp-hdrext:ssrc-audio-level', 'urn:ietf:params:rtp-hdrext:csrc-audio-level']);

export interface SfuDescription {
  readonly sdp: string;
  /** The types of the candidates it carries, in order. */
  readonly candidateTypes: readonly CandidateType[];
  /** This device's host addresses among them: the SFU's private candidates must share a network with one. */
  readonly hostAddresses: readonly IpAddress[];
}

export function sfuDescription(sdp: string, relayOnly: boolean): SfuDescription {
  const candidateTypes: CandidateType[] = [];
  const hostAddresses: IpAddress[] = [];
  const lines = sdp.split(/\r?\n/).filter((line) => {
    if (line === '' || line.startsWith('a=rtcp-xr:')) return false;
    if (line.startsWith('a=extmap:')) {
      const uri = line.split(' ')[1];
      return uri !== undefined && ALLOWED_EXTMAP_URIS.has(uri) && !AUDIO_LEVELS.has(uri);
    }
    if (!line.startsWith('a=candidate:')) return true;
    const parsed = parseCandidate(line.slice(2));
    if (!parsed.ok || parsed.candidate.ip === null) return false;
    if (relayOnly && parsed.candidate.type !== 'relay') return false;
    candidateTypes.push(parsed.candidate.type);
    if (parsed.candidate.type === 'host') hostAddresses.push(parsed.candidate.ip);
    return true;
  });
  return { sdp: lines.join('\r\n') + '\r\n', candidateTypes, hostAddresses };
}
