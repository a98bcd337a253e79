#!/usr/bin/env node
/**
 * @module fuzz/make-seeds
 * Writes the generated part of the seed corpora: real frames and contents made with the
 * protocol's own encoders, a few edge cases next to them, and call-machine event scripts.
 * `node fuzz/make-seeds.mjs` rewrites only the files named `seed-*`; captured seeds (SDPs,
 * candidates) and `regression-*` inputs are left alone. Seeds are meant to be few and readable:
 * the fuzzer finds the rest.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AckSchema, AdvisorySchema, AnomalyKind, AppContentSchema, AttachmentKind, CallHangupReason, CallMedia, ChallengeSchema, ClaimKeyPackagesSchema, CommitSchema,
  ContactAction, ContactRequestSchema, ContactRespondSchema, CreateGroupSchema, DeliveryKind, DeliverySchema, ErrorCode,
  FRAME_HEADER_BYTES, FRAME_SCHEMAS, FrameType, GetDevicesSchema, HelloSchema, LeaveGroupSchema, NoticeKind, NoticeSchema,
  PROTOCOL_VERSION, ReceiptKind, ResponseSchema, SendSchema, ThreatNoticeSchema, UploadKeyPackagesSchema, create, encodeAppContent, encodeFrame,
  encodeThreatNotice, toBinary,
} from '@sotto/protocol';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const bytes = (n, fill) => new Uint8Array(n).fill(fill);
const ascii = (s) => new TextEncoder().encode(s);
const utf16 = (s) => Uint8Array.from([...s].flatMap((c) => {
  const out = [];
  for (let i = 0; i < c.length; i++) out.push(c.charCodeAt(i) & 0xff, c.charCodeAt(i) >> 8);
  return out;
}));
const concat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
const CALL_ID = '0123456789abcdef0123456789abcdef';

/** One body per frame type that matters most, made with the generated schemas. */
const BODIES = [
  [FrameType.CHALLENGE, ChallengeSchema, { nonce: bytes(32, 7), protocolVersion: 1, serverVersion: '0.1.0', minClientVersion: '0.1.0', inviteRequired: true }],
  [FrameType.HELLO, HelloSchema, { protocolVersion: 1, clientVersion: '0.1.0', auth: { case: 'register', value: { username: 'alice', identityKey: bytes(32, 1), inviteCode: 'abc-123' } }, signature: bytes(64, 2) }],
  [FrameType.HELLO, HelloSchema, { protocolVersion: 1, clientVersion: '0.1.0', auth: { case: 'login', value: { username: 'alice', deviceId: 'd-1' } }, signature: bytes(64, 2) }],
  [FrameType.RESPONSE, ResponseSchema, { result: { case: 'error', value: { code: ErrorCode.STALE_EPOCH, message: 'Another commit won this epoch.' } } }],
  [FrameType.RESPONSE, ResponseSchema, { result: { case: 'hello', value: { username: 'alice', deviceId: 'd-1', keyPackagesRemaining: 30 } } }],
  [FrameType.RESPONSE, ResponseSchema, { result: { case: 'claimKeyPackages', value: { packages: [{ deviceId: 'd-1', identityKey: bytes(32, 3), keyPackage: bytes(40, 4), lastResort: true }] } } }],
  [FrameType.RESPONSE, ResponseSchema, { result: { case: 'listContacts', value: { contacts: [{ username: 'bob', state: 2, text: 'hi', updatedAt: 1700000000000n }] } } }],
  [FrameType.RESPONSE, ResponseSchema, { result: { case: 'turnCredentials', value: { urls: ['turn:turn.example:3478?transport=udp'], username: '1700000000:x', credential: 'c2VjcmV0', ttlSeconds: 600 } } }],
  [FrameType.DELIVERY, DeliverySchema, { seq: 42n, kind: DeliveryKind.MLS_MESSAGE, senderUsername: 'bob', senderDeviceId: 'd-2', groupId: bytes(32, 5), messageId: bytes(16, 6), payload: bytes(48, 7), storedAt: 1700000000000n, epoch: 3n }],
  [FrameType.DELIVERY, DeliverySchema, { seq: 43n, kind: DeliveryKind.CONTACT_REQUEST, senderUsername: 'mallory', payload: ascii('hello there') }],
  [FrameType.NOTICE, NoticeSchema, { kind: NoticeKind.KEY_PACKAGES_LOW, count: 3, message: 'low' }],
  [FrameType.UPLOAD_KEY_PACKAGES, UploadKeyPackagesSchema, { keyPackages: [bytes(40, 8), bytes(40, 9)], lastResort: bytes(40, 10) }],
  [FrameType.CLAIM_KEY_PACKAGES, ClaimKeyPackagesSchema, { username: 'bob' }],
  [FrameType.CONTACT_REQUEST, ContactRequestSchema, { toUsername: 'bob', text: 'Hi Bob, Alice from the climbing club.' }],
  [FrameType.CONTACT_RESPOND, ContactRespondSchema, { username: 'alice', action: ContactAction.ACCEPT }],
  [FrameType.CREATE_GROUP, CreateGroupSchema, { groupId: bytes(32, 11), epoch: 1n, members: [{ username: 'bob', deviceId: 'd-2' }], welcome: bytes(64, 12) }],
  [FrameType.COMMIT, CommitSchema, { groupId: bytes(32, 11), epoch: 1n, commit: bytes(64, 13), added: [{ username: 'carol', deviceId: 'd-3' }], welcome: bytes(32, 14), messageId: bytes(16, 15) }],
  [FrameType.SEND, SendSchema, { groupId: bytes(32, 11), messageId: bytes(16, 16), payload: bytes(80, 17), ring: true }],
  [FrameType.LEAVE_GROUP, LeaveGroupSchema, { groupId: bytes(32, 11), proposal: bytes(32, 18), messageId: bytes(16, 19) }],
  [FrameType.GET_DEVICES, GetDevicesSchema, { username: 'bob' }],
  [FrameType.ACK, AckSchema, { seqs: [1n, 2n, 300n, 18446744073709551615n] }],
];

function header(type, id = 1, version = PROTOCOL_VERSION) {
  const h = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(h.buffer);
  view.setUint8(0, version);
  view.setUint16(1, type);
  view.setUint32(3, id);
  return h;
}

function frameSeeds() {
  const seeds = {};
  BODIES.forEach(([type, schema, init], i) => {
    seeds[`seed-${String(i).padStart(2, '0')}-${FrameType[type].toLowerCase()}`] = encodeFrame(type, i + 1, create(schema, init));
  });
  Object.assign(seeds, {
    'seed-edge-empty': new Uint8Array(0),
    'seed-edge-short-header': header(FrameType.ACK).subarray(0, 6),
    'seed-edge-version-2': header(FrameType.ACK, 1, 2),
    'seed-edge-unknown-type': header(999),
    'seed-edge-over-limit': concat(header(FrameType.LIST_CONTACTS), bytes(17, 0)),
    'seed-edge-truncated-varint': concat(header(FrameType.ACK), [0x0a, 0x02, 0xff]),
    'seed-edge-bad-utf8': concat(header(FrameType.GET_DEVICES), [0x0a, 0x02, 0xc3, 0x28]),
  });
  return seeds;
}

/** The frame-bodies layout: type number, request id, body. */
function frameBodySeeds() {
  const seeds = {};
  BODIES.forEach(([type, schema, init], i) => {
    seeds[`seed-${String(i).padStart(2, '0')}-${FrameType[type].toLowerCase()}`] = concat([type, i + 1], toBinary(schema, create(schema, init)));
  });
  // Every type the build knows, with an empty body, so a type added later has a seed too.
  for (const type of Object.keys(FRAME_SCHEMAS).map(Number)) {
    seeds[`seed-empty-${String(FrameType[type] ?? type).toLowerCase()}`] = [type, 0];
  }
  return seeds;
}

function content(body, messageId = bytes(16, 1)) {
  return create(AppContentSchema, { messageId, sentAt: 1700000000000n, body });
}

function appContentSeeds() {
  const call = (kind) => ({ case: 'call', value: { callId: CALL_ID, kind } });
  const seeds = {
    'seed-text': content({ case: 'text', value: { body: 'See you at 7? 🧗' } }),
    'seed-receipt': content({ case: 'receipt', value: { kind: ReceiptKind.READ, messageIds: [bytes(16, 2), bytes(16, 3)] } }),
    'seed-group-meta': content({ case: 'groupMeta', value: { name: 'Climbing club' } }),
    'seed-call-ring': content(call({ case: 'ring', value: { media: CallMedia.AUDIO, sentAt: 1700000000000n } })),
    'seed-call-accept': content(call({ case: 'accept', value: {} })),
    'seed-call-offer': content(call({ case: 'offer', value: { sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' } })),
    'seed-call-ice': content(call({ case: 'ice', value: { candidate: 'candidate:1 1 udp 2122260223 203.0.113.7 5000 typ host' } })),
    'seed-call-hangup': content(call({ case: 'hangup', value: { reason: CallHangupReason.GLARE } })),
    'seed-call-busy': content(call({ case: 'busy', value: {} })),
  };
  const encoded = Object.fromEntries(Object.entries(seeds).map(([name, c]) => [name, encodeAppContent(c)]));
  // Refused ones, encoded without the validation: short id, bidi override, upper-case call id.
  encoded['seed-edge-short-id'] = toBinary(AppContentSchema, content({ case: 'text', value: { body: 'x' } }, bytes(15, 1)));
  encoded['seed-edge-bidi'] = toBinary(AppContentSchema, content({ case: 'text', value: { body: 'invoice\u202Efdp.exe' } }));
  encoded['seed-edge-call-id-case'] = toBinary(AppContentSchema, content({ case: 'call', value: { callId: CALL_ID.toUpperCase(), kind: { case: 'accept', value: {} } } }));
  encoded['seed-edge-no-body'] = toBinary(AppContentSchema, content({ case: undefined }));
  return encoded;
}

/** The contact-request layout: mode (even: frame body, odd: UTF-16), maxChars, then the data. */
function contactRequestSeeds() {
  const body = (init) => toBinary(ContactRequestSchema, create(ContactRequestSchema, init));
  return {
    'seed-request': concat([0, 40], body({ toUsername: 'bob', text: 'Hi Bob, Alice from the climbing club.' })),
    'seed-call-request': concat([0, 40], body({ toUsername: 'bob_2.x-y', text: '', call: true })),
    'seed-edge-upper-case': concat([0, 40], body({ toUsername: 'Bob', text: 'tab\there, newline\nthere' })),
    'seed-utf16-username': concat([1, 32], utf16('alice_01')),
    'seed-utf16-bidi': concat([1, 32], utf16('ab\u202Ecd\u2066')),
    'seed-utf16-astral': concat([1, 3], utf16('🧗🧗🧗🧗')),
    'seed-utf16-lone-surrogate': concat([1, 32], utf16('ab'), [0x00, 0xd8], utf16('cd')),
    'seed-utf16-c1': concat([1, 32], utf16('a\u0085b\u007f')),
  };
}

/**
 * Call-machine scripts, in the layout of fuzz/lib/call-events.mjs. Event numbers index its
 * EVENT_MAKERS: 0 ring, 1 accept, 2 decline, 3 busy, 4 offer, 5 answer, 6 ice, 7 hangup,
 * 8 placeCall, 9 localAccept, 10 localDecline, 11 localHangup, 12 timeout, 13 tick,
 * 14 mediaConnected, 15 mediaFailed, 16 localDescription, 17 localCandidate. Clock step 0 is none.
 */
function callMachineSeeds() {
  const ALICE = 0;
  const MID = 2;
  const ring = (id = MID, flags = 0) => [0, 0, ALICE, flags, id];
  const remote = (kind, id = MID) => [kind, 1, ALICE, 0, id];
  const local = (kind) => [kind, 1];
  return {
    // Callee: ring, accept, offer, answer sent, ice, connected, hang up.
    'seed-callee-happy': [...ring(), ...local(9), ...remote(4), ...local(16), ...remote(6), ...local(14), ...local(11)],
    // Caller: place, accepted, offer sent, answer, connected, remote hangup.
    'seed-caller-happy': [8, 0, ALICE, MID, ...remote(1), ...local(16), ...remote(5), ...local(14), ...remote(7)],
    // Zero-click attempts while ringing: accept, offer and ice from the caller before the member accepts.
    'seed-callee-premature': [...ring(), ...remote(1), ...remote(4), ...remote(6), ...local(10)],
    // Glare: we call alice with c-mid while her ring for c-high (smaller) arrives.
    'seed-glare': [8, 0, ALICE, MID, ...ring(0), ...local(9)],
    // A stranger's ring, a stale ring, then the ring times out.
    'seed-rejected-rings': [...ring(MID, 0x10), ...ring(MID, 3), ...ring(), 13, 4],
  };
}

/** An advisory (first byte even) and threat notices (odd), well-formed and not. */
function serverNoticeSeeds() {
  const advisory = toBinary(AdvisorySchema, create(AdvisorySchema, {
    id: new Uint8Array(16).fill(7), publishedAt: 1_800_000_000_000n, title: 'Update now', text: 'A flaw in call set-up is fixed in 9.0.0.', fixedVersion: '9.0.0',
  }));
  const notice = encodeThreatNotice(create(ThreatNoticeSchema, {
    incidentId: 'inc-0123456789', openedAt: 1_800_000_000_000n, kinds: [AnomalyKind.UNDECRYPTABLE, AnomalyKind.MALFORMED], senders: 3, operatorContact: 'security@example.org',
  }));
  const badContact = encodeThreatNotice(create(ThreatNoticeSchema, { incidentId: 'inc-0123456789', openedAt: 1n, operatorContact: 'call \u202e now' }));
  return {
    'seed-advisory': [0, ...advisory],
    'seed-threat-notice': [1, ...notice],
    'seed-threat-notice-bidi': [1, ...badContact],
  };
}

/** Attachment descriptors as AppContent: one of each kind, and edges the receiver must refuse or lower. */
function attachmentDescriptorSeeds() {
  const attachment = (init) => ({
    case: 'attachment',
    value: { blobId: bytes(16, 1), key: bytes(32, 2), digest: bytes(32, 3), size: 48213n, kind: AttachmentKind.FILE, mediaType: 'application/pdf', fileName: 'filing.pdf', ...init },
  });
  const seeds = {
    'seed-file-pdf': content(attachment({ caption: 'The signed filing' })),
    'seed-image-jpeg': content(attachment({ kind: AttachmentKind.IMAGE, mediaType: 'image/jpeg', fileName: 'IMG_0001.jpg', width: 4032, height: 3024, thumbnail: bytes(600, 0xd8) })),
    'seed-voice-note': content(attachment({ kind: AttachmentKind.VOICE_NOTE, mediaType: 'audio/ogg', fileName: 'voice.ogg', durationMs: 4200, waveform: bytes(64, 90) })),
    'seed-unknown-type': content(attachment({ mediaType: 'application/octet-stream', fileName: 'invoice.pdf.exe' })),
    // Accepted by the protocol, lowered by the receiver: a "photo" whose stated type is a PDF, a name with a path and a Windows device.
    'seed-edge-image-as-pdf': content(attachment({ kind: AttachmentKind.IMAGE, mediaType: 'application/pdf', fileName: 'photo.jpg' })),
    'seed-edge-path-name': content(attachment({ fileName: '../../CON.pdf' })),
  };
  const encoded = Object.fromEntries(Object.entries(seeds).map(([name, c]) => [name, encodeAppContent(c)]));
  // Refused ones, encoded without the validation: a bidi override in the name, a short key, an image bomb's dimensions.
  encoded['seed-edge-bidi-name'] = toBinary(AppContentSchema, content(attachment({ fileName: 'invoice\u202Efdp.exe' })));
  encoded['seed-edge-short-key'] = toBinary(AppContentSchema, content(attachment({ key: bytes(16, 2) })));
  encoded['seed-edge-huge-image'] = toBinary(AppContentSchema, content(attachment({ kind: AttachmentKind.IMAGE, mediaType: 'image/png', width: 50_000, height: 50_000 })));
  return encoded;
}

/**
 * The sniff layout (targets/sniff.fuzz.mjs): sniffed type, file-type's report, claimed type, kind,
 * name length in UTF-16 units, the name, then the file's head. Type numbers index its TYPES
 * (0 jpeg, 1 png, 2 webp, 3 pdf, 4 ogg, 5 wav, 6 octet-stream, 7 gif ...), report numbers its
 * DETECTED (0 none, 1 jpeg, 2 png, 3 webp, 4 pdf, 5 ogg opus, 6 wav, 7 ogg, 8 exe, 9 gif), kinds
 * its KINDS (0 unspecified, 1 file, 2 image, 3 voice note).
 */
function sniffSeeds() {
  const be16 = (n) => [(n >> 8) & 0xff, n & 0xff];
  const be32 = (n) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const le16 = (n) => [n & 0xff, (n >> 8) & 0xff];
  const le32 = (n) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  const png = (w, h) => concat([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], be32(13), ascii('IHDR'), be32(w), be32(h), [8, 2, 0, 0, 0]);
  const jpeg = (w, h) => concat([0xff, 0xd8, 0xff, 0xe0], be16(16), ascii('JFIF'), [0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
    [0xff, 0xc0], be16(17), [8], be16(h), be16(w), [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1], [0xff, 0xda], be16(12), [3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0]);
  const webp = (w, h) => concat(ascii('RIFF'), le32(22), ascii('WEBPVP8X'), le32(10), [0, 0, 0, 0], le32(w - 1).slice(0, 3), le32(h - 1).slice(0, 3));
  const ogg = concat(ascii('OggS'), [0, 2], bytes(8, 0), le32(0x1234), bytes(8, 0), [1, 19], ascii('OpusHead'), [1, 1], le16(312), le32(48000), [0, 0, 0]);
  const wav = concat(ascii('RIFF'), le32(40), ascii('WAVEfmt '), le32(16), le16(1), le16(1), le32(8000), le32(16000), le16(2), le16(16), ascii('data'), le32(4), bytes(4, 0));
  const pdf = ascii('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n');
  const seed = (sniffed, detected, claimed, kind, name, head) => concat([sniffed, detected, claimed, kind, name.length], utf16(name), head);
  return {
    'seed-jpeg-photo': seed(0, 1, 0, 2, 'photo.jpg', jpeg(4032, 3024)),
    'seed-png-image': seed(1, 2, 1, 2, 'screen.png', png(800, 600)),
    'seed-webp-image': seed(2, 3, 2, 2, 'sticker.webp', webp(512, 512)),
    'seed-voice-note': seed(4, 5, 4, 3, 'voice.ogg', ogg),
    'seed-pdf-file': seed(3, 4, 3, 1, 'filing.pdf', pdf),
    'seed-wav-file': seed(5, 6, 5, 1, 'memo.wav', wav),
    'seed-pdf-as-jpeg': seed(3, 4, 0, 2, 'photo.jpg', pdf),
    'seed-polyglot': seed(0, 1, 0, 2, 'p.jpg', concat(jpeg(10, 10), ascii('%PDF-1.4'))),
    'seed-image-bomb': seed(1, 2, 1, 2, 'bomb.png', png(50_000, 50_000)),
    'seed-exe-double-extension': seed(6, 8, 6, 1, 'invoice.pdf\u202E.exe', concat(ascii('MZ'), bytes(62, 0))),
    'seed-reserved-name': seed(6, 0, 6, 1, '../aux.txt', ascii('hello')),
  };
}

function writeCorpus(target, seeds) {
  const dir = join(CORPUS, target);
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir).filter((f) => f.startsWith('seed-'))) rmSync(join(dir, old));
  for (const [name, data] of Object.entries(seeds)) writeFileSync(join(dir, name), Uint8Array.from(data));
  console.log(`${target}: ${Object.keys(seeds).length} seeds`);
}

writeCorpus('frame', frameSeeds());
writeCorpus('frame-bodies', frameBodySeeds());
writeCorpus('app-content', appContentSeeds());
writeCorpus('contact-request', contactRequestSeeds());
writeCorpus('call-machine', callMachineSeeds());
writeCorpus('server-notices', serverNoticeSeeds());
writeCorpus('attachment-descriptor', attachmentDescriptorSeeds());
writeCorpus('sniff', sniffSeeds());
