/**
 * @module fuzz/target-list
 * The fuzz targets and how each is run. A target's harness is `targets/<name>.fuzz.mjs`, its seed
 * corpus `corpus/<name>/`, its dictionary (optional) `dict/<name>.dict`.
 *
 * `instrument` lists path fragments Jazzer.js instruments for coverage: only the code under test,
 * so the fuzzer is guided by Sotto's branches (and protobuf's, for the decoders) rather than by
 * the harness. `maxLen` raises libFuzzer's 4,096-byte default where a limit lies beyond it.
 */
const PROTOCOL = ['packages/protocol/dist/', '@bufbuild/protobuf/dist/'];
const CALLS = ['packages/core/dist/calls/'];
const ATTACHMENTS = ['packages/core/dist/attachments/'];
const GROUP_CALLS = ['packages/core/dist/group-calls/', 'packages/core/dist/sframe/'];
const BUS = ['packages/server/dist/bus/'];

export const TARGETS = [
  { name: 'frame', instrument: PROTOCOL },
  { name: 'frame-bodies', instrument: PROTOCOL },
  { name: 'app-content', instrument: PROTOCOL, maxLen: 24 * 1024 }, // APP_CONTENT_MAX_BYTES is 20 KiB
  { name: 'contact-request', instrument: PROTOCOL },
  { name: 'sdp', instrument: CALLS, maxLen: 20 * 1024 }, // MAX_SDP_LENGTH is 16 KiB
  { name: 'candidate', instrument: CALLS },
  { name: 'call-machine', instrument: CALLS },
  { name: 'server-notices', instrument: PROTOCOL },
  { name: 'attachment-descriptor', instrument: [...PROTOCOL, ...ATTACHMENTS], maxLen: 24 * 1024 }, // APP_CONTENT_MAX_BYTES is 20 KiB
  { name: 'sniff', instrument: ATTACHMENTS },
  { name: 'sframe-frame', instrument: GROUP_CALLS },
  { name: 'janus-messages', instrument: GROUP_CALLS, maxLen: 64 * 1024 }, // MAX_JANUS_MESSAGE_CHARS
  { name: 'bus-events', instrument: BUS, maxLen: 9 * 1024 }, // MAX_ENVELOPE_BYTES is 8 KiB
];
