/**
 * @module sfu/janus-errors
 * Janus's error numbers (core `janus.h`, VideoRoom `janus_videoroom.c`) as `SfuError`s: a stable
 * problem word and a message an operator can act on, with Janus's own number and words kept
 * (they never carry tokens or secrets). janode reports them as `Error('<code> <reason>')`.
 */
import { SfuError, type SfuProblem } from './sfu-control.js';

/** The Janus and VideoRoom codes handled differently; anything else is `failed`. */
const KNOWN: Record<number, { problem: SfuProblem; say: string }> = {
  403: { problem: 'misconfigured', say: 'Janus refused the API secret: the --sfu-secret-file does not match api_secret in janus.jcfg' },
  405: { problem: 'misconfigured', say: 'Janus refused access to the VideoRoom plugin: check token_auth and api_secret in janus.jcfg' },
  458: { problem: 'unavailable', say: 'Janus no longer knows this session (it restarted or timed it out)' },
  459: { problem: 'unavailable', say: 'Janus no longer knows the VideoRoom handle' },
  426: { problem: 'unknown-room', say: 'there is no such room at the SFU (never created, destroyed, or lost)' },
  427: { problem: 'failed', say: 'a room with that id already exists at the SFU' },
  432: { problem: 'room-full', say: 'the room already has as many publishers as it allows' },
  433: { problem: 'misconfigured', say: 'the VideoRoom refused the room secret or admin key: check admin_key in janus.plugin.videoroom.jcfg' },
  429: { problem: 'bad-input', say: 'the VideoRoom found a required field missing' },
  430: { problem: 'bad-input', say: 'the VideoRoom found a field of the wrong type or value' },
};

export function describeJanusError(error: unknown, what: string): SfuError {
  const text = error instanceof Error ? error.message : String(error);
  const match = /^(\d{3}) (.*)$/s.exec(text);
  if (!match) {
    // Transport failures: janode's "connection closed", "unexpected disconnection", ECONNREFUSED ...
    return new SfuError('unavailable', `The SFU is unreachable when ${what}: ${text}.`, { cause: error });
  }
  const code = Number(match[1]);
  const known = KNOWN[code];
  const problem = known?.problem ?? 'failed';
  const say = known?.say ?? 'Janus reported an error';
  return new SfuError(problem, `SFU error when ${what}: ${say} (Janus ${code}: ${match[2]}).`, { cause: error, janusCode: code });
}
