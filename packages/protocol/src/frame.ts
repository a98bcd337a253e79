/**
 * @module frame
 * The frame codec: one WebSocket binary message is one frame,
 * `[u8 version][u16 type][u32 id][protobuf body]`. The body's size is checked
 * against its type's limit before a single byte of it is decoded.
 */
import { fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import {
  AckSchema,
  ChallengeSchema,
  ClaimKeyPackagesSchema,
  CommitSchema,
  ContactRequestSchema,
  ContactRespondSchema,
  CreateContactLinkSchema,
  CreateDeviceLinkSchema,
  GetDeviceListSchema,
  PublishDeviceListSchema,
  PushSubscriptionSchema,
  JoinGroupCallSchema,
  LeaveGroupCallSchema,
  SendLinkBundleSchema,
  CreateUploadSchema,
  CreateGroupSchema,
  DeliverySchema,
  ErrorCode,
  FrameType,
  GetDevicesSchema,
  GetTurnCredentialsSchema,
  HelloSchema,
  LeaveGroupSchema,
  ListContactsSchema,
  NoticeSchema,
  ReportAnomaliesSchema,
  ResponseSchema,
  SendSchema,
  SetLockdownSchema,
  AdvisoryPushSchema,
  UploadKeyPackagesSchema,
} from './gen/sotto/v1/wire_pb.js';
import { ProtocolError } from './errors.js';
import { FRAME_BODY_LIMITS, FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './limits.js';
import { PROTOCOL_VERSION } from './versions.js';

/** The schema of each frame type's body. */
export const FRAME_SCHEMAS = {
  [FrameType.CHALLENGE]: ChallengeSchema,
  [FrameType.RESPONSE]: ResponseSchema,
  [FrameType.DELIVERY]: DeliverySchema,
  [FrameType.NOTICE]: NoticeSchema,
  [FrameType.ADVISORY]: AdvisoryPushSchema,
  [FrameType.HELLO]: HelloSchema,
  [FrameType.UPLOAD_KEY_PACKAGES]: UploadKeyPackagesSchema,
  [FrameType.CLAIM_KEY_PACKAGES]: ClaimKeyPackagesSchema,
  [FrameType.CONTACT_REQUEST]: ContactRequestSchema,
  [FrameType.CONTACT_RESPOND]: ContactRespondSchema,
  [FrameType.LIST_CONTACTS]: ListContactsSchema,
  [FrameType.CREATE_GROUP]: CreateGroupSchema,
  [FrameType.COMMIT]: CommitSchema,
  [FrameType.SEND]: SendSchema,
  [FrameType.LEAVE_GROUP]: LeaveGroupSchema,
  [FrameType.GET_DEVICES]: GetDevicesSchema,
  [FrameType.GET_TURN_CREDENTIALS]: GetTurnCredentialsSchema,
  [FrameType.REPORT_ANOMALIES]: ReportAnomaliesSchema,
  [FrameType.SET_LOCKDOWN]: SetLockdownSchema,
  [FrameType.CREATE_CONTACT_LINK]: CreateContactLinkSchema,
  [FrameType.ACK]: AckSchema,
  [FrameType.CREATE_DEVICE_LINK]: CreateDeviceLinkSchema,
  [FrameType.PUBLISH_DEVICE_LIST]: PublishDeviceListSchema,
  [FrameType.GET_DEVICE_LIST]: GetDeviceListSchema,
  [FrameType.SEND_LINK_BUNDLE]: SendLinkBundleSchema,
  [FrameType.CREATE_UPLOAD]: CreateUploadSchema,
  [FrameType.SET_PUSH_SUBSCRIPTION]: PushSubscriptionSchema,
  [FrameType.JOIN_GROUP_CALL]: JoinGroupCallSchema,
  [FrameType.LEAVE_GROUP_CALL]: LeaveGroupCallSchema,
} as const satisfies Record<Exclude<FrameType, FrameType.UNSPECIFIED>, DescMessage>;

export type KnownFrameType = keyof typeof FRAME_SCHEMAS;
export type FrameBody<T extends KnownFrameType> = MessageShape<(typeof FRAME_SCHEMAS)[T]>;

/** A decoded frame, discriminated by `type`. */
export type Frame = {
  [T in KnownFrameType]: { readonly type: T; readonly id: number; readonly body: FrameBody<T> };
}[KnownFrameType];

/** Frame types a client may send to a server that expect a response. */
export const REQUEST_FRAME_TYPES: ReadonlySet<FrameType> = new Set([
  FrameType.HELLO,
  FrameType.UPLOAD_KEY_PACKAGES,
  FrameType.CLAIM_KEY_PACKAGES,
  FrameType.CONTACT_REQUEST,
  FrameType.CONTACT_RESPOND,
  FrameType.LIST_CONTACTS,
  FrameType.CREATE_GROUP,
  FrameType.COMMIT,
  FrameType.SEND,
  FrameType.LEAVE_GROUP,
  FrameType.GET_DEVICES,
  FrameType.GET_TURN_CREDENTIALS,
  FrameType.REPORT_ANOMALIES,
  FrameType.SET_LOCKDOWN,
  FrameType.CREATE_CONTACT_LINK,
  FrameType.CREATE_DEVICE_LINK,
  FrameType.PUBLISH_DEVICE_LIST,
  FrameType.GET_DEVICE_LIST,
  FrameType.SEND_LINK_BUNDLE,
  FrameType.CREATE_UPLOAD,
  FrameType.SET_PUSH_SUBSCRIPTION,
  FrameType.JOIN_GROUP_CALL,
  FrameType.LEAVE_GROUP_CALL,
]);

export function isKnownFrameType(type: number): type is KnownFrameType {
  return type !== FrameType.UNSPECIFIED && Object.hasOwn(FRAME_SCHEMAS, type);
}

/** Encodes a frame. Refuses bodies over their type's limit so a peer never sees one. */
export function encodeFrame<T extends KnownFrameType>(type: T, id: number, body: FrameBody<T>): Uint8Array {
  const schema = FRAME_SCHEMAS[type] as DescMessage;
  const payload = toBinary(schema, body as never);
  const limit = FRAME_BODY_LIMITS[type] ?? 0;
  if (payload.byteLength > limit) {
    throw new ProtocolError(
      ErrorCode.FRAME_TOO_LARGE,
      `${FrameType[type]} body of ${payload.byteLength} bytes exceeds its ${limit}-byte limit.`,
    );
  }
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint16(1, type);
  view.setUint32(3, id >>> 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** The header alone: enough to answer a bad frame with the right request id. */
export interface FrameHeader {
  readonly version: number;
  readonly type: number;
  readonly id: number;
}

export function peekFrameHeader(bytes: Uint8Array): FrameHeader | undefined {
  if (bytes.byteLength < FRAME_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { version: view.getUint8(0), type: view.getUint16(1), id: view.getUint32(3) };
}

/**
 * Decodes a frame, checking in order: whole-frame size, header present,
 * protocol version, known type, the type's body limit, and only then the body.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength > MAX_FRAME_BYTES) {
    throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, `Frame of ${bytes.byteLength} bytes exceeds ${MAX_FRAME_BYTES}.`);
  }
  const header = peekFrameHeader(bytes);
  if (!header) {
    throw new ProtocolError(ErrorCode.FRAME_MALFORMED, `Frame of ${bytes.byteLength} bytes is shorter than its header.`);
  }
  if (header.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(ErrorCode.UNSUPPORTED_PROTOCOL, `Protocol version ${header.version} is not supported; this side speaks ${PROTOCOL_VERSION}.`);
  }
  if (!isKnownFrameType(header.type)) {
    throw new ProtocolError(ErrorCode.UNKNOWN_FRAME_TYPE, `Frame type ${header.type} is not known.`);
  }
  const bodyLength = bytes.byteLength - FRAME_HEADER_BYTES;
  const limit = FRAME_BODY_LIMITS[header.type] ?? 0;
  if (bodyLength > limit) {
    throw new ProtocolError(
      ErrorCode.FRAME_TOO_LARGE,
      `${FrameType[header.type]} body of ${bodyLength} bytes exceeds its ${limit}-byte limit.`,
    );
  }
  const schema = FRAME_SCHEMAS[header.type] as DescMessage;
  try {
    const body = fromBinary(schema, bytes.subarray(FRAME_HEADER_BYTES), { readUnknownFields: false });
    return { type: header.type, id: header.id, body } as Frame;
  } catch (cause) {
    throw new ProtocolError(ErrorCode.FRAME_MALFORMED, `${FrameType[header.type]} body could not be decoded.`, { cause });
  }
}
