import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sfuDescription } from './sfu-description.js';

const SDP = [
  'v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtcp-xr:rcvr-rtt=all',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid', 'a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:9 http://www.webrtc.org/experiments/rtp-hdrext/video-timing',
  'a=candidate:1 1 udp 2122260223 192.168.1.5 50000 typ host',
  'a=candidate:2 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active',
  'a=candidate:3 1 udp 2122260223 4f3b.local 54321 typ host',
  'a=candidate:4 1 udp 1686052607 203.0.113.9 50001 typ srflx raddr 192.168.1.5 rport 50000',
  'a=candidate:5 1 udp 41885439 198.51.100.7 50002 typ relay raddr 203.0.113.9 rport 50001',
  '',
].join('\r\n');

test('the SFU gets UDP candidates at IP literals, and relay-only only relay ones; no RTCP XR, no audio levels, no unknown extensions', () => {
  const all = sfuDescription(SDP, false);
  assert.deepEqual(all.candidateTypes, ['host', 'srflx', 'relay']);
  assert.equal(all.hostAddresses.length, 1);
  assert.doesNotMatch(all.sdp, / tcp |\.local |rtcp-xr|audio-level|video-timing/);
  assert.match(all.sdp, /sdes:mid/);
  const relay = sfuDescription(SDP, true);
  assert.deepEqual(relay.candidateTypes, ['relay']);
  assert.deepEqual(relay.hostAddresses, []);
  assert.doesNotMatch(relay.sdp, /192\.168\.1\.5 50000 typ host|203\.0\.113\.9 50001/);
});
