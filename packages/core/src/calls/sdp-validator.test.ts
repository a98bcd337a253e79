/** @module calls/sdp-validator.test: realistic offers/answers accepted, every error code, and fuzzing (threat scenario 8). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateSdp, candidatePolicy, SDP_ERROR_CODES, MAX_SDP_LENGTH, MAX_SDP_LINES, MAX_SDP_LINE_LENGTH } from './index.js';
import type { SdpErrorCode, SdpKind, SdpValidationOptions, ValidatedSdp } from './index.js';

const FP = 'D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F';

/** Chrome with setCodecPreferences([opus, telephone-event]) applied, before candidates gathered. */
const CHROME_OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS 5b2c0b5d-6b7c-4c1e-9b38-4b3c1d0f9e21',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Fq3T',
  'a=ice-pwd:Hb0Jx0Wl8yTqMz9rVgP2sK1a',
  'a=ice-options:trickle',
  `a=fingerprint:sha-256 ${FP}`,
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:5b2c0b5d-6b7c-4c1e-9b38-4b3c1d0f9e21 8a1f3c2e-77b4-4d1a-a0c3-2f6e9b1d4c57',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:3735928559 cname:Yx2Kp9Lm4Nq7Rs1T',
  'a=ssrc:3735928559 msid:5b2c0b5d-6b7c-4c1e-9b38-4b3c1d0f9e21 8a1f3c2e-77b4-4d1a-a0c3-2f6e9b1d4c57',
  '',
].join('\r\n');

const CHROME_ANSWER = CHROME_OFFER
  .replace('a=setup:actpass', 'a=setup:active')
  .replace('o=- 4611731400430051336 2', 'o=- 7731400430051336461 2')
  .replace('a=ice-ufrag:Fq3T', 'a=ice-ufrag:kP9q')
  .replace(/a=extmap:[34] .*\r\n/g, '');

/** werift-like offer: LF line ends, inline candidates, end-of-candidates. */
const WERIFT_OFFER = [
  'v=0',
  'o=- 1732491234567 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic:WMS *',
  'm=audio 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:9f3a',
  'a=ice-pwd:1b2c3d4e5f6a7b8c9d0e1f2a3b',
  'a=ice-options:trickle',
  `a=fingerprint:sha-256 ${FP.toLowerCase()}`,
  'a=setup:actpass',
  'a=sendrecv',
  'a=mid:0',
  'a=msid:werift-stream werift-track',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=rtcp-mux',
  'a=ssrc:123456 cname:werift',
  'a=rtpmap:96 opus/48000/2',
  'a=candidate:1 1 udp 2130706431 192.168.1.20 50123 typ host generation 0',
  'a=candidate:2 1 udp 1694498815 203.0.113.7 50123 typ srflx raddr 192.168.1.20 rport 50123 generation 0',
  'a=candidate:3 1 udp 16777215 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 50123',
  'a=end-of-candidates',
  '',
].join('\n');

const WERIFT_ANSWER = WERIFT_OFFER.replace('a=setup:actpass', 'a=setup:passive');

/**
 * A video call, from Chromium with setCodecPreferences (Opus and telephone-event; VP8 and rtx)
 * and the header extensions the app sends (others left out), and the CLI's werift answering it
 * with voice only (the video section rejected: port 0, inactive). Recorded with
 * a probe (two peer connections in Chromium 156, then werift 0.24.4 answering) on this machine.
 */
const CHROME_VIDEO_OFFER = [
  'v=0',
  'o=- 4208195469395553617 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:MveR',
  'a=ice-pwd:EEVcRwN5LIyUUxZg6O+OLOgL',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 25:53:94:C2:14:74:EE:DE:E3:85:23:60:3B:5E:8B:28:B5:7D:C9:35:AA:5D:5E:60:59:16:F6:57:59:25:7F:87',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:- d82b298a-92ba-471b-8218-fbfe838903a2',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:423751503 cname:lPMHJccX97mOAqfB',
  'a=ssrc:423751503 msid:- d82b298a-92ba-471b-8218-fbfe838903a2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:MveR',
  'a=ice-pwd:EEVcRwN5LIyUUxZg6O+OLOgL',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 25:53:94:C2:14:74:EE:DE:E3:85:23:60:3B:5E:8B:28:B5:7D:C9:35:AA:5D:5E:60:59:16:F6:57:59:25:7F:87',
  'a=setup:actpass',
  'a=mid:1',
  'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:13 urn:3gpp:video-orientation',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:- 63de94de-9144-4efe-89c2-7a710cb85dd1',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=ssrc-group:FID 3050339308 2879432619',
  'a=ssrc:3050339308 cname:lPMHJccX97mOAqfB',
  'a=ssrc:3050339308 msid:- 63de94de-9144-4efe-89c2-7a710cb85dd1',
  'a=ssrc:2879432619 cname:lPMHJccX97mOAqfB',
  'a=ssrc:2879432619 msid:- 63de94de-9144-4efe-89c2-7a710cb85dd1',
].join('\r\n') + '\r\n';

const CHROME_VIDEO_ANSWER = [
  'v=0',
  'o=- 3076811261160276840 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:ZIkV',
  'a=ice-pwd:Ow8+ZIY9yfKP2rhfw+71kUiG',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 EA:0B:E1:A8:B1:D9:1A:C9:AF:49:C6:E4:4D:00:64:7B:A7:04:1F:DE:3D:F0:38:06:CF:59:40:F4:70:AF:16:07',
  'a=setup:active',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:- 57d461a4-35a6-45a7-bd7e-6df68538bbec',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:121380941 cname:FCFx5tuTrw7ykcdp',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:ZIkV',
  'a=ice-pwd:Ow8+ZIY9yfKP2rhfw+71kUiG',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 EA:0B:E1:A8:B1:D9:1A:C9:AF:49:C6:E4:4D:00:64:7B:A7:04:1F:DE:3D:F0:38:06:CF:59:40:F4:70:AF:16:07',
  'a=setup:active',
  'a=mid:1',
  'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:13 urn:3gpp:video-orientation',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:- 979b1a2a-5dc8-462e-a664-b948d082baef',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=ssrc-group:FID 1192446176 708289480',
  'a=ssrc:1192446176 cname:FCFx5tuTrw7ykcdp',
  'a=ssrc:708289480 cname:FCFx5tuTrw7ykcdp',
].join('\r\n') + '\r\n';

const WERIFT_VOICE_ONLY_ANSWER = [
  'v=0',
  'o=- 17716712 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic:WMS *',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:ea69',
  'a=ice-pwd:b66b0168055bb588f54366',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 DB:04:0B:7C:0A:11:D6:B5:18:3D:84:EC:5A:27:45:FB:EE:08:D6:87:31:41:44:0A:A1:FF:4D:32:4E:5A:5D:49',
  'a=setup:active',
  'a=sendrecv',
  'a=mid:0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=rtcp-mux',
  'a=ssrc:148395025 cname:3a3026c9-63d0-4fe3-99b3-01b50953d8e7',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=video 0 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:ea69',
  'a=ice-pwd:b66b0168055bb588f54366',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 DB:04:0B:7C:0A:11:D6:B5:18:3D:84:EC:5A:27:45:FB:EE:08:D6:87:31:41:44:0A:A1:FF:4D:32:4E:5A:5D:49',
  'a=setup:active',
  'a=inactive',
  'a=mid:1',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=rtcp-mux',
  'a=ssrc:2021287060 cname:3a3026c9-63d0-4fe3-99b3-01b50953d8e7',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
].join('\r\n') + '\r\n';

function accepted(sdp: string, kind: SdpKind, options?: SdpValidationOptions): ValidatedSdp {
  const r = validateSdp(sdp, kind, options);
  assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.message}`);
  return r.sdp;
}

const codesSeen = new Set<SdpErrorCode>();

function rejected(sdp: string, kind: SdpKind, code: SdpErrorCode, options?: SdpValidationOptions): string {
  const r = validateSdp(sdp, kind, options);
  codesSeen.add(code);
  assert.equal(r.ok, false, `expected ${code}`);
  if (r.ok) return '';
  assert.equal(r.code, code, r.message);
  assert.ok(r.message.length > 5, 'has a human message');
  assert.ok(r.message.length < 200, 'message is short and does not echo the input');
  return r.message;
}

/** Applies `edit` to the Chrome offer's lines (CRLF). */
const chrome = (edit: (lines: string[]) => string[]): string => edit(CHROME_OFFER.split('\r\n').slice(0, -1)).join('\r\n') + '\r\n';
const replaceLine = (prefix: string, ...replacement: string[]) => (lines: string[]) =>
  lines.flatMap((l) => (l.startsWith(prefix) ? replacement : [l]));
const insertAfter = (prefix: string, ...added: string[]) => (lines: string[]) =>
  lines.flatMap((l) => (l.startsWith(prefix) ? [l, ...added] : [l]));

test('a Chrome-like offer and answer are accepted with their DTLS and ICE parameters', () => {
  const offer = accepted(CHROME_OFFER, 'offer');
  assert.equal(offer.kind, 'offer');
  assert.equal(offer.fingerprint, FP);
  assert.equal(offer.setup, 'actpass');
  assert.equal(offer.iceUfrag, 'Fq3T');
  assert.equal(offer.icePwd, 'Hb0Jx0Wl8yTqMz9rVgP2sK1a');
  assert.deepEqual(offer.codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}`), ['111 opus/48000', '126 telephone-event/8000']);
  assert.deepEqual(offer.candidates, []);
  assert.equal(offer.sdp, CHROME_OFFER);
  const answer = accepted(CHROME_ANSWER, 'answer');
  assert.equal(answer.setup, 'active');
  assert.equal(answer.iceUfrag, 'kP9q');
});

/** A device whose own host candidate is on 192.168.1.0/24, the LAN of the werift offer's host candidate. */
const ON_THE_SAME_LAN = candidatePolicy({ localHosts: [{ family: 4, octets: [192, 168, 1, 7] }] });

test('a werift-like offer and answer are accepted; LF is normalised to CRLF; inline candidates parsed', () => {
  const offer = accepted(WERIFT_OFFER, 'offer', { candidatePolicy: ON_THE_SAME_LAN });
  assert.equal(offer.fingerprint, FP, 'fingerprint is upper-cased for comparison with the MLS-carried one');
  assert.equal(offer.sdp, WERIFT_OFFER.replace(/\n/g, '\r\n'));
  assert.deepEqual(offer.candidates.map((c) => `${c.type} ${c.address}`), ['host 192.168.1.20', 'srflx 203.0.113.7', 'relay 198.51.100.9']);
  assert.deepEqual(offer.droppedCandidates, []);
  // A device on no such LAN drops the private host candidate (issue 15, hole 3); the rest stay.
  const elsewhere = accepted(WERIFT_OFFER, 'offer');
  assert.deepEqual(elsewhere.candidates.map((c) => c.type), ['srflx', 'relay']);
  assert.deepEqual(elsewhere.droppedCandidates, ['PRIVATE']);
  assert.ok(!elsewhere.sdp.includes('192.168.1.20 50123 typ host'));
  assert.equal(accepted(WERIFT_ANSWER, 'answer').setup, 'passive');
  // Without a final line end, and with telephone-event/48000.
  accepted(WERIFT_OFFER.trimEnd().replace('SAVPF 96', 'SAVPF 96 101') + '\na=rtpmap:101 telephone-event/48000', 'offer');
});

test('policy-refused inline candidates are dropped from the normalised SDP, not passed on', () => {
  const sdp = WERIFT_OFFER.replace('a=end-of-candidates', [
    'a=candidate:4 1 udp 2130706431 127.0.0.1 50124 typ host',
    'a=candidate:5 1 udp 2130706431 169.254.169.254 80 typ host',
    'a=candidate:6 1 tcp 1518280447 203.0.113.7 9 typ host tcptype active',
    'a=candidate:7 1 udp 2130706431 3c7d1e2a-9b4f-4d6e-8a1c-5f2e7b9d0c3a.local 50125 typ host',
    'a=end-of-candidates',
  ].join('\n'));
  const v = accepted(sdp, 'offer', { candidatePolicy: ON_THE_SAME_LAN });
  assert.deepEqual(v.droppedCandidates, ['LOOPBACK', 'METADATA', 'BAD_TRANSPORT', 'MDNS']);
  assert.equal(v.candidates.length, 3);
  for (const bad of ['127.0.0.1', '169.254.169.254', 'tcptype', '.local']) assert.ok(!v.sdp.includes(bad), bad);
  const relayOnly = accepted(WERIFT_OFFER, 'offer', { candidatePolicy: candidatePolicy({ relayOnly: true }) });
  assert.deepEqual(relayOnly.candidates.map((c) => c.type), ['relay']);
  assert.deepEqual(relayOnly.droppedCandidates, ['NOT_RELAY', 'NOT_RELAY']);
});

test('TOO_LARGE: over 16 KiB in UTF-16 units, then in UTF-8 bytes, checked before anything else', () => {
  rejected(CHROME_OFFER + 'a=' + 'x'.repeat(MAX_SDP_LENGTH), 'offer', 'TOO_LARGE');
  rejected('\u0000'.repeat(MAX_SDP_LENGTH + 1), 'offer', 'TOO_LARGE');
  // 6,000 UTF-16 units of U+00E9 are 12,000 bytes... and 6,000 x U+20AC are 18,000 bytes.
  assert.ok('\u20ac'.repeat(6000).length < MAX_SDP_LENGTH);
  assert.match(rejected('\u20ac'.repeat(6000), 'offer', 'TOO_LARGE'), /bytes/);
});

test('TOO_MANY_LINES, LINE_TOO_LONG', () => {
  rejected(chrome(insertAfter('a=mid', ...Array.from({ length: MAX_SDP_LINES }, () => 'a=rtcp-mux'))), 'offer', 'TOO_MANY_LINES');
  rejected('\n'.repeat(MAX_SDP_LINES + 5), 'offer', 'TOO_MANY_LINES');
  rejected(chrome(insertAfter('a=mid', `a=msid:${'x'.repeat(MAX_SDP_LINE_LENGTH)}`)), 'offer', 'LINE_TOO_LONG');
});

test('BAD_CHARACTER: non-ASCII, lone surrogates, NUL, tabs, bare CR line injection', () => {
  rejected(CHROME_OFFER.replace('s=-', 's=café'), 'offer', 'BAD_CHARACTER');
  rejected(CHROME_OFFER.replace('s=-', 's=\ud800'), 'offer', 'BAD_CHARACTER');
  rejected(CHROME_OFFER.replace('s=-', 's=\udc00x'), 'offer', 'BAD_CHARACTER');
  rejected(CHROME_OFFER.replace('s=-', 's=\u{1F4DE}'), 'offer', 'BAD_CHARACTER');
  rejected(CHROME_OFFER.replace('s=-', 's=a\u0000b'), 'offer', 'BAD_CHARACTER');
  rejected(CHROME_OFFER.replace('s=-', 's=a\tb'), 'offer', 'BAD_CHARACTER');
  assert.match(rejected(CHROME_OFFER.replace('a=setup:actpass', 'a=setup:actpass\ra=setup:active'), 'offer', 'BAD_CHARACTER'), /bare CR/);
  rejected(CHROME_OFFER.replace('\r\n', '\r\r\n'), 'offer', 'BAD_CHARACTER');
});

test('MALFORMED_LINE: grammar, unknown line types, order, duplicates, empty lines', () => {
  const cases: string[] = [
    '',
    CHROME_OFFER.replace('v=0', 'v=1'),
    chrome((l) => l.slice(1)),
    chrome(insertAfter('s=-', 'v=0')),
    chrome(insertAfter('s=-', 'i=session info')),
    chrome(insertAfter('s=-', 'k=clear:secret')),
    chrome(insertAfter('s=-', 'z=0 0')),
    chrome(insertAfter('s=-', 'X=1')),
    chrome(insertAfter('s=-', 'not a line')),
    chrome(insertAfter('s=-', '')),
    chrome(insertAfter('s=-', 's=again')),
    chrome(insertAfter('a=mid', 'o=- 1 1 IN IP4 0.0.0.0')),
    chrome(replaceLine('o=', 'o=- 1 1 IN IP9 0.0.0.0')),
    chrome(replaceLine('t=', 't=now')),
    chrome(replaceLine('t=')),
    chrome(replaceLine('c=', 'c=IN IP4')),
    chrome(insertAfter('c=', 'b=AS:30', 'b=AS:30', 'b=AS:30', 'b=AS:30', 'b=AS:30')),
    chrome(replaceLine('m=', 'm=audio 0 UDP/TLS/RTP/SAVPF 111 126')),
    chrome(replaceLine('m=', 'm=audio 9 UDP/TLS/RTP/SAVPF 111 111')),
    chrome(replaceLine('m=', 'm=audio 9 UDP/TLS/RTP/SAVPF 111 999')),
    chrome(replaceLine('m=', 'm=audio 9 UDP/TLS/RTP/SAVPF')),
    chrome(replaceLine('a=group', 'a=group:BUNDLE 0 1 2')),
    chrome(replaceLine('a=rtcp-mux', 'a=rtcp-mux:yes')),
    chrome(replaceLine('a=mid', 'a=mid:0', 'a=mid:1')),
    chrome(replaceLine('a=sendrecv', 'a=sendrecv', 'a=recvonly')),
    chrome(replaceLine('a=rtpmap:111', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 opus/48000/2')),
    chrome(replaceLine('a=rtpmap:111', 'a=rtpmap:112 opus/48000/2')),
    chrome(replaceLine('a=fmtp', 'a=fmtp:112 minptime=10')),
    chrome(replaceLine('a=rtcp-fb', 'a=rtcp-fb:111 transport-cc a b c')),
    chrome(insertAfter('a=extmap:4', 'a=extmap:4 urn:ietf:params:rtp-hdrext:csrc-audio-level')),
    chrome(insertAfter('a=extmap:4', ...Array.from({ length: 5 }, (_, i) => `a=extmap:${5 + i} urn:ietf:params:rtp-hdrext:toffset`))),
    chrome(insertAfter('a=ssrc', ...Array.from({ length: 16 }, () => 'a=ssrc:1 cname:x'))),
    chrome(replaceLine('a=ssrc:3735928559 cname', 'a=ssrc:99999999999 cname:x')),
    chrome(insertAfter('a=mid', 'a=ptime:0')),
    chrome(insertAfter('a=mid', 'a=ice-options')),
  ];
  for (const sdp of cases) rejected(sdp, 'offer', 'MALFORMED_LINE');
});

test('TOO_MANY_MEDIA and NOT_AUDIO', () => {
  const second = ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2'];
  rejected(chrome((l) => [...l, ...second]), 'offer', 'TOO_MANY_MEDIA');
  for (const media of ['video', 'application', 'text', 'message', 'AUDIO']) {
    rejected(chrome((l) => [...l, `m=${media} 9 UDP/TLS/RTP/SAVPF 96`]), 'offer', 'NOT_AUDIO');
    rejected(chrome(replaceLine('m=', `m=${media} 9 UDP/TLS/RTP/SAVPF 111 126`)), 'offer', 'NOT_AUDIO');
  }
  rejected(chrome((l) => [...l, 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel']), 'offer', 'NOT_AUDIO');
  rejected(chrome((l) => l.slice(0, 7)), 'offer', 'NOT_AUDIO');
});

test('BAD_TRANSPORT: plain RTP, SDES (RTP/SAVP), TCP', () => {
  for (const t of ['RTP/AVP', 'RTP/SAVP', 'RTP/SAVPF', 'TCP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVP', 'udp/tls/rtp/savpf']) {
    rejected(chrome(replaceLine('m=', `m=audio 9 ${t} 111 126`)), 'offer', 'BAD_TRANSPORT');
  }
});

test('MISSING_FINGERPRINT and BAD_FINGERPRINT', () => {
  assert.match(rejected(chrome(replaceLine('a=fingerprint')), 'offer', 'MISSING_FINGERPRINT'), /fingerprint/);
  const bad = [
    `a=fingerprint:sha-1 ${FP.slice(0, 59)}`, `a=fingerprint:sha-384 ${FP}:AA:BB`, `a=fingerprint:sha-256 ${FP.slice(0, -3)}`,
    `a=fingerprint:sha-256 ${FP}:00`, `a=fingerprint:sha-256 ${FP.replace(/:/g, '')}`, `a=fingerprint:sha-256 ${FP.replace('D2', 'G2')}`,
    `a=fingerprint:sha-256 ${FP} extra`, 'a=fingerprint:sha-256',
  ];
  for (const line of bad) rejected(chrome(replaceLine('a=fingerprint', line)), 'offer', 'BAD_FINGERPRINT');
  rejected(chrome(insertAfter('a=fingerprint', `a=fingerprint:sha-256 ${FP.replace('D2', 'D3')}`)), 'offer', 'BAD_FINGERPRINT');
});

test('BAD_SETUP', () => {
  rejected(CHROME_OFFER, 'answer', 'BAD_SETUP');
  rejected(chrome(replaceLine('a=setup', 'a=setup:holdconn')), 'offer', 'BAD_SETUP');
  rejected(chrome(replaceLine('a=setup')), 'offer', 'BAD_SETUP');
  rejected(chrome(insertAfter('a=setup', 'a=setup:active')), 'offer', 'BAD_SETUP');
});

test('BAD_ICE_CREDENTIALS', () => {
  const bad: [string, string][] = [
    ['a=ice-ufrag', 'a=ice-ufrag:abc'], ['a=ice-ufrag', `a=ice-ufrag:${'a'.repeat(257)}`], ['a=ice-ufrag', 'a=ice-ufrag:ab_cd'],
    ['a=ice-pwd', 'a=ice-pwd:tooShort123'], ['a=ice-pwd', 'a=ice-pwd:Hb0Jx0Wl8yTqMz9rVgP2sK1a;'],
  ];
  for (const [prefix, line] of bad) rejected(chrome(replaceLine(prefix, line)), 'offer', 'BAD_ICE_CREDENTIALS');
  rejected(chrome(replaceLine('a=ice-ufrag')), 'offer', 'BAD_ICE_CREDENTIALS');
  rejected(chrome(replaceLine('a=ice-pwd')), 'offer', 'BAD_ICE_CREDENTIALS');
  rejected(chrome(insertAfter('a=ice-ufrag', 'a=ice-ufrag:Zz99')), 'offer', 'BAD_ICE_CREDENTIALS');
});

test('UNEXPECTED_CODEC: anything but Opus (and telephone-event)', () => {
  // Chrome's default offer, without setCodecPreferences: RED, G.722, PCMU, PCMA, CN.
  rejected(chrome(replaceLine('m=', 'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126')), 'offer', 'UNEXPECTED_CODEC');
  rejected(chrome(insertAfter('a=rtpmap:111', 'a=rtpmap:63 red/48000/2').bind(null)).replace('111 126', '111 63 126'), 'offer', 'UNEXPECTED_CODEC');
  rejected(chrome(replaceLine('a=rtpmap:111', 'a=rtpmap:111 opus/48000/1')), 'offer', 'UNEXPECTED_CODEC');
  rejected(chrome(replaceLine('a=rtpmap:111', 'a=rtpmap:111 OPUS/44100/2')), 'offer', 'UNEXPECTED_CODEC');
  rejected(chrome(replaceLine('a=rtpmap:126', 'a=rtpmap:126 telephone-event/16000')), 'offer', 'UNEXPECTED_CODEC');
  rejected(chrome(replaceLine('a=rtpmap:126')), 'offer', 'UNEXPECTED_CODEC');
  // telephone-event alone is not a call.
  rejected(chrome((l) => replaceLine('m=', 'm=audio 9 UDP/TLS/RTP/SAVPF 126')(replaceLine('a=rtpmap:111')(replaceLine('a=fmtp')(replaceLine('a=rtcp-fb')(l))))), 'offer', 'UNEXPECTED_CODEC');
  rejected(chrome(replaceLine('m=', `m=audio 9 UDP/TLS/RTP/SAVPF 111 126 ${Array.from({ length: 7 }, (_, i) => 96 + i).join(' ')}`)), 'offer', 'UNEXPECTED_CODEC');
});

test('UNKNOWN_ATTRIBUTE: anything outside the allow-list, including unknown header extensions', () => {
  for (const line of ['a=sctp-port:5000', 'a=ssrc-group:FID 1 2', 'a=simulcast:send 1;2', 'a=rid:1 send', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x',
    'a=ice-lite', 'a=identity:abc', 'a=x-google-flag:conference', 'a=tls-id:abc', 'a=extmap:5 urn:evil:parse-me']) {
    rejected(chrome(insertAfter('a=mid', line)), 'offer', 'UNKNOWN_ATTRIBUTE');
  }
});

test('BAD_CANDIDATE: malformed inline candidates, too many, or outside the media section', () => {
  rejected(WERIFT_OFFER.replace('typ host generation 0', 'typ host generation'), 'offer', 'BAD_CANDIDATE');
  rejected(WERIFT_OFFER.replace('192.168.1.20 50123 typ host', '192.168.1.20 99999 typ host'), 'offer', 'BAD_CANDIDATE');
  rejected(WERIFT_OFFER.replace('192.168.1.20 50123 typ host', 'fe80::1%eth0 50123 typ host'), 'offer', 'BAD_CANDIDATE');
  // A non-IP "address" that is a valid hostname is well formed: dropped (never resolved), not fatal.
  assert.deepEqual(accepted(WERIFT_OFFER.replace('192.168.1.20 50123 typ host', '0x7f.1 50123 typ host'), 'offer').droppedCandidates, ['HOSTNAME']);
  const many = Array.from({ length: 21 }, (_, i) => `a=candidate:${i} 1 udp 1 203.0.113.${i + 1} 5000 typ host`).join('\n');
  assert.match(rejected(WERIFT_OFFER.replace('a=end-of-candidates', many), 'offer', 'BAD_CANDIDATE'), /more than 20/);
  // Refused candidates count toward the cap too.
  const refusedMany = Array.from({ length: 18 }, (_, i) => `a=candidate:${i} 1 udp 1 127.0.0.${i + 1} 5000 typ host`).join('\n');
  rejected(WERIFT_OFFER.replace('a=end-of-candidates', refusedMany), 'offer', 'BAD_CANDIDATE');
  rejected(WERIFT_OFFER, 'offer', 'BAD_CANDIDATE', { candidatePolicy: candidatePolicy({ maxCandidates: 2 }) });
  rejected(WERIFT_OFFER.replace('t=0 0', 't=0 0\na=candidate:9 1 udp 1 203.0.113.9 5000 typ host'), 'offer', 'BAD_CANDIDATE');
});

test('video calls: a Chrome offer and answer with VP8 and rtx, and the CLI\'s voice-only answer, are accepted', () => {
  const video = { video: true };
  const offer = accepted(CHROME_VIDEO_OFFER, 'offer', video);
  assert.deepEqual(offer.codecs.map((c) => c.name), ['opus', 'telephone-event', 'telephone-event']);
  assert.deepEqual(offer.videoCodecs.map((c) => c.name), ['vp8', 'rtx']);
  assert.deepEqual(accepted(CHROME_VIDEO_ANSWER, 'answer', video).videoCodecs.map((c) => c.name), ['vp8', 'rtx']);
  const voiceOnly = accepted(WERIFT_VOICE_ONLY_ANSWER, 'answer', video);
  assert.deepEqual(voiceOnly.videoCodecs, [], 'a rejected video section carries no codec');
  // The same offer in a voice call: its video section is refused.
  rejected(CHROME_VIDEO_OFFER, 'offer', 'NOT_AUDIO');
});

test('video calls: only VP8 and rtx, one video section after the audio one, one transport, bounded attributes', () => {
  const video = { video: true };
  const edit = (change: (lines: string[]) => string[]) => change(CHROME_VIDEO_OFFER.split('\r\n').slice(0, -1)).join('\r\n') + '\r\n';
  // Other video codecs: H.264, VP9, AV1, red, ulpfec are not allowed.
  for (const codec of ['H264/90000', 'VP9/90000', 'AV1/90000', 'red/90000', 'ulpfec/90000']) {
    assert.match(rejected(CHROME_VIDEO_OFFER.replace('a=rtpmap:96 VP8/90000', `a=rtpmap:96 ${codec}`), 'offer', 'UNEXPECTED_CODEC', video), /VP8 only/);
  }
  rejected(CHROME_VIDEO_OFFER.replace('m=video 9 UDP/TLS/RTP/SAVPF 96 97', 'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98'), 'offer', 'UNEXPECTED_CODEC', video);
  rejected(CHROME_VIDEO_OFFER.replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:96 rtx/90000'), 'offer', 'UNEXPECTED_CODEC', video);
  // Opus in the video section, VP8 in the audio one.
  rejected(CHROME_VIDEO_OFFER.replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:96 opus/48000/2'), 'offer', 'UNEXPECTED_CODEC', video);
  rejected(CHROME_VIDEO_OFFER.replace('a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 VP8/90000'), 'offer', 'UNEXPECTED_CODEC', video);
  // Video first, two video sections, a data channel.
  const sections = CHROME_VIDEO_OFFER.split('m=');
  rejected(['', sections[2], sections[1]].join('m=').replace(/^m=/, sections[0] + 'm='), 'offer', 'NOT_AUDIO', video);
  rejected(CHROME_VIDEO_OFFER + 'm=' + sections[2], 'offer', 'TOO_MANY_MEDIA', video);
  rejected(CHROME_VIDEO_OFFER + 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n', 'offer', 'NOT_AUDIO', video);
  // One DTLS-SRTP transport: the sections must agree on fingerprint, setup and ICE credentials.
  const [, fp] = /a=fingerprint:sha-256 (\S+)/.exec(CHROME_VIDEO_OFFER) ?? [];
  rejected(edit((l) => { const i = l.lastIndexOf(`a=fingerprint:sha-256 ${fp}`); l[i] = `a=fingerprint:sha-256 ${FP}`; return l; }), 'offer', 'BAD_FINGERPRINT', video);
  rejected(edit((l) => { const i = l.lastIndexOf('a=setup:actpass'); l[i] = 'a=setup:active'; return l; }), 'offer', 'BAD_SETUP', video);
  rejected(edit((l) => { const i = l.findLastIndex((x) => x.startsWith('a=ice-ufrag:')); l[i] = 'a=ice-ufrag:zzzz'; return l; }), 'offer', 'BAD_ICE_CREDENTIALS', video);
  // Header extensions beyond the allowed few, and ssrc-group outside video or twice.
  rejected(CHROME_VIDEO_OFFER.replace('a=extmap:13 urn:3gpp:video-orientation', 'a=extmap:13 http://www.webrtc.org/experiments/rtp-hdrext/video-timing'), 'offer', 'UNKNOWN_ATTRIBUTE', video);
  rejected(CHROME_VIDEO_OFFER.replace('a=ssrc-group:FID', 'a=ssrc-group:FID 1 2\r\na=ssrc-group:FID'), 'offer', 'MALFORMED_LINE', video);
  rejected(CHROME_VIDEO_OFFER.replace('a=ssrc-group:FID 3050339308', 'a=ssrc-group:SIM 3050339308'), 'offer', 'MALFORMED_LINE', video);
  // A rejected (port 0) section is only for video; an audio port 0 is malformed.
  rejected(CHROME_VIDEO_OFFER.replace('m=audio 9 ', 'm=audio 0 '), 'offer', 'MALFORMED_LINE', video);
});

test('every error code is exercised by a test above', () => {
  // Keeps SDP_ERROR_CODES and this file in step: a new code needs a new test (tests run in order).
  assert.equal(SDP_ERROR_CODES.length, 15);
  assert.deepEqual(SDP_ERROR_CODES.filter((c) => !codesSeen.has(c)), []);
});

// --- Property tests ------------------------------------------------------------------------------

let acceptedMutants = 0;

function checkInvariants(input: string, kind: SdpKind, options: SdpValidationOptions = {}): boolean {
  const r = validateSdp(input, kind, options);
  if (!r.ok) {
    assert.ok(SDP_ERROR_CODES.includes(r.code), `unknown code ${r.code}`);
    assert.ok(r.message.length > 0 && r.message.length < 200);
    return true;
  }
  const out = r.sdp.sdp;
  assert.ok(input.length <= MAX_SDP_LENGTH && out.length <= MAX_SDP_LENGTH + MAX_SDP_LINES, 'within the size bound');
  assert.ok(/^[\x20-\x7e\r\n]*$/.test(out), 'ASCII only');
  assert.ok(!/\r(?!\n)/.test(out) && !/(?<!\r)\n/.test(out), 'CRLF only');
  const lines = out.split('\r\n').slice(0, -1);
  assert.ok(lines.length <= MAX_SDP_LINES);
  const media = lines.filter((l) => l.startsWith('m='));
  if (options.video) {
    assert.ok(media.length === 1 || media.length === 2, 'one or two media sections');
    assert.ok(media[0]?.startsWith('m=audio ') && (media.length === 1 || media[1]?.startsWith('m=video ')), 'audio, then video');
    assert.ok(r.sdp.videoCodecs.every((c) => c.name === 'vp8' || c.name === 'rtx'), 'VP8 and rtx only');
  } else {
    assert.equal(media.length, 1, 'exactly one media section');
    assert.ok(media[0]?.startsWith('m=audio '), 'only audio');
  }
  assert.ok(lines.every((l) => l.length <= MAX_SDP_LINE_LENGTH));
  assert.ok(r.sdp.candidates.length <= 20);
  acceptedMutants++;
  return true;
}

const fixtures = [CHROME_OFFER, CHROME_ANSWER, WERIFT_OFFER, WERIFT_ANSWER];
const kindOf = (i: number): SdpKind => (i % 2 === 0 ? 'offer' : 'answer');
const nasty = fc.constantFrom(
  'm=video 9 UDP/TLS/RTP/SAVPF 96', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=rtpmap:0 PCMU/8000', 'a=setup:actpass', 'a=fingerprint:sha-256 00', '\r', '\u0000', '\ud800', 'é', '',
  'a=candidate:1 1 udp 1 127.0.0.1 1 typ host', 'a=candidate:1 1 udp 1 169.254.169.254 80 typ host', 'a=sctp-port:5000', ' ',
);

/** A random edit of a valid SDP's lines: injection, duplication, deletion, huge lines, raw splices. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(60), line: fc.oneof(nasty, fc.string({ maxLength: 40 })) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(60), times: fc.integer({ min: 1, max: 250 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(60) }),
  fc.record({ op: fc.constant('huge' as const), at: fc.nat(60), size: fc.integer({ min: 900, max: 20_000 }) }),
  fc.record({ op: fc.constant('splice' as const), at: fc.nat(4000), text: fc.oneof(nasty, fc.string({ maxLength: 20 })) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function apply(sdp: string, m: Mutation): string {
  if (m.op === 'splice') {
    const at = m.at % (sdp.length + 1);
    return sdp.slice(0, at) + m.text + sdp.slice(at);
  }
  const lines = sdp.split('\n');
  const at = m.at % lines.length;
  const line = lines[at] ?? '';
  switch (m.op) {
    case 'insert': lines.splice(at, 0, m.line); break;
    case 'duplicate': lines.splice(at, 0, ...Array.from({ length: m.times }, () => line)); break;
    case 'delete': lines.splice(at, 1); break;
    case 'huge': lines.splice(at, 1, line + 'x'.repeat(m.size)); break;
  }
  return lines.join('\n');
}

test('property: arbitrary strings never throw and are never accepted', () => {
  fc.assert(fc.property(fc.string({ maxLength: 2000, unit: 'binary' }), fc.constantFrom<SdpKind>('offer', 'answer'), (s, kind) => {
    const r = validateSdp(s, kind);
    assert.equal(r.ok, false);
    return checkInvariants(s, kind);
  }), { numRuns: 300 });
});

test('property: random mutations of valid SDPs never throw and never break the bounds', () => {
  fc.assert(fc.property(fc.nat(3), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
    const input = ms.reduce(apply, fixtures[i] ?? CHROME_OFFER);
    return checkInvariants(input, kindOf(i));
  }), { numRuns: 600 });
  // Some mutations (a duplicated a=rtcp-mux, a deleted a=ssrc...) stay valid: the accept path is exercised too.
  assert.ok(acceptedMutants > 0, 'no mutant was accepted');
});

test('property: random mutations of a video call\'s SDPs never throw and never break the bounds', () => {
  const videoFixtures = [CHROME_VIDEO_OFFER, CHROME_VIDEO_ANSWER, CHROME_VIDEO_OFFER, WERIFT_VOICE_ONLY_ANSWER];
  const before = acceptedMutants;
  fc.assert(fc.property(fc.nat(3), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
    const input = ms.reduce(apply, videoFixtures[i] ?? CHROME_VIDEO_OFFER);
    return checkInvariants(input, kindOf(i), { video: true });
  }), { numRuns: 600 });
  assert.ok(acceptedMutants > before, 'no video mutant was accepted');
});

test('property: a non-audio media section or an oversized SDP is never accepted', () => {
  fc.assert(fc.property(
    fc.nat(3), fc.constantFrom('video', 'application', 'text', 'message', 'image'), fc.nat(40), fc.boolean(),
    (i, media, at, oversize) => {
      const lines = (fixtures[i] ?? CHROME_OFFER).split('\n');
      lines.splice(at % lines.length, 0, `m=${media} 9 UDP/TLS/RTP/SAVPF 111`);
      let input = lines.join('\n');
      if (oversize) input += 'a=msid:x\r\n'.repeat(Math.ceil((MAX_SDP_LENGTH - input.length) / 10) + 1);
      const r = validateSdp(input, kindOf(i));
      assert.equal(r.ok, false);
      if (oversize && !r.ok) assert.equal(r.code, 'TOO_LARGE');
      return true;
    },
  ), { numRuns: 300 });
});
