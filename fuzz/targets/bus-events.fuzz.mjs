/**
 * @module fuzz/targets/bus-events
 * What one cluster node reads from another on NATS: raw bytes to the server's bus codec
 * (`decodeEnvelope`, packages/server/src/bus/nats/codec.ts), which since issue 21 also carries a
 * mailbox entry (ciphertext and its fields) in a mail event. A finding is: a throw out of the
 * decoder; a refusal without a reason; an accepted envelope over the size bound; an accepted
 * event that the encoder refuses, or that does not decode back to itself (so a node could not
 * pass on what it accepted, or would read it differently); a carried entry out of its bounds.
 */
import { CARRIED_PAYLOAD_MAX } from '../../packages/server/dist/bus/bus.js';
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_BYTES } from '../../packages/server/dist/bus/nats/codec.js';
import { isDeepStrictEqual } from 'node:util';

function expect(condition, rule) {
  if (!condition) throw new Error(`the bus codec accepted input that breaks: ${rule}`);
}

export function fuzz(data) {
  const decoded = decodeEnvelope(data);
  if (!decoded.ok) {
    expect(typeof decoded.reason === 'string' && decoded.reason.length > 0, 'a refusal has a reason');
    return;
  }
  expect(data.length <= MAX_ENVELOPE_BYTES, 'an envelope within the size bound');
  const { node, event } = decoded.envelope;
  if (event.kind === 'mail' && event.entry) {
    const e = event.entry;
    expect(e.seq > 0n && e.seq < 2n ** 63n, 'a seq in 1..2^63-1');
    expect(e.payload instanceof Uint8Array && e.payload.length <= CARRIED_PAYLOAD_MAX, 'a payload of at most CARRIED_PAYLOAD_MAX bytes');
    expect(e.groupId.length <= 32 && e.messageId.length <= 16, 'ids within their lengths');
  }
  const again = decodeEnvelope(encodeEnvelope(node, event));
  expect(again.ok && isDeepStrictEqual(again.envelope, decoded.envelope), 'an accepted event re-encodes to itself');
}
