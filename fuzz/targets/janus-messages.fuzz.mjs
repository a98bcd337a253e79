/**
 * @module fuzz/targets/janus-messages
 * Whatever the SFU sends a member, as UTF-8 text, to core's JanusSession (the member's side of
 * Janus's API, shared by the CLI and the web app). A session and a VideoRoom handle are made once
 * against a fake socket; each input is delivered as one message, then a well-formed room event.
 * A finding is: a throw out of the message handler; a room event handed to the handle that is not
 * a plain object, or with a description that is not an offer or answer with an SDP string; or the
 * session no longer delivering the well-formed event after the input.
 */
import { JanusSession, MAX_JANUS_MESSAGE_CHARS } from '@sotto/core';

const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined };
let events;
const socket = {
  send(text) {
    const request = JSON.parse(text);
    // The fake Janus answers the session and the handle at once; nothing else.
    if (request.janus === 'create' || request.janus === 'attach') {
      events.onMessage(JSON.stringify({ janus: 'success', transaction: request.transaction, data: { id: request.janus === 'create' ? 1 : 2 } }));
    }
  },
  close() {},
};
let closed = false;
const session = await JanusSession.open(async (_url, handlers) => ((events = handlers), socket), 'ws://sfu.test', 'token', clock, () => (closed = true));
let delivered = 0;
await session.attach((data, jsep) => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`a room event that is not an object: ${String(data)}`);
  if (jsep !== undefined && ((jsep.type !== 'offer' && jsep.type !== 'answer') || typeof jsep.sdp !== 'string')) throw new Error('a description of the wrong shape');
  if (data.marker === 'well-formed') delivered++;
});
const WELL_FORMED = JSON.stringify({ janus: 'event', sender: 2, plugindata: { plugin: 'janus.plugin.videoroom', data: { marker: 'well-formed' } } });
const decoder = new TextDecoder();

export function fuzz(data) {
  const text = decoder.decode(data);
  // Past the limit the session ends by design (the hostile-SFU test shows it); not fuzzed here.
  if (text.length > MAX_JANUS_MESSAGE_CHARS) return;
  events.onMessage(text);
  if (closed) throw new Error('a message within the limit ended the session');
  const before = delivered;
  events.onMessage(WELL_FORMED);
  if (delivered !== before + 1) throw new Error('the session stopped delivering room events after this input');
}
