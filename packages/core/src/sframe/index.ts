/** @module sframe: SFrame (RFC 9605) end-to-end encryption of media frames, with MLS-derived keys (section 5.2). */
export { SFrameError, type SFrameErrorReason } from './sframe-error.js';
export { encodeHeader, decodeHeader, encodedHeaderLength, MAX_HEADER_BYTES, type SFrameHeader, type DecodedHeader } from './header.js';
export { CIPHER_SUITE_IDS, ALL_CIPHER_SUITES, cipherSuite, type CipherSuite as SFrameCipherSuite, type CipherSuiteId as SFrameCipherSuiteId, type CipherSuiteName as SFrameCipherSuiteName } from './suites.js';
export {
  deriveKeySalt, mlsEpochBaseKey, mlsKid, parseMlsKid, senderBitsFor, MLS_EXPORTER_LABEL, MLS_EXPORTER_CONTEXT,
  type SFrameKeyMaterial, type MlsExporter, type MlsKidLayout, type MlsKidParts,
} from './key-schedule.js';
export { SFrameContext, DEFAULT_REPLAY_WINDOW, type SFrameContextOptions, type DecryptedFrame } from './sframe.js';
