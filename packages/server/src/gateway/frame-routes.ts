/**
 * @module gateway/frame-routes
 * Which handler each frame type goes to. Server-to-client types coming from a client are refused;
 * a new frame type fails the build here until it is routed.
 */
import { ErrorCode, FrameType, missingCase, ProtocolError, type Frame, type FrameBody } from '@sotto/protocol';
import type { RequestFrame } from './requests.js';

export interface FrameRoutes {
  hello(id: number, body: FrameBody<FrameType.HELLO>): Promise<void>;
  ack(seqs: readonly bigint[]): Promise<void>;
  request(frame: RequestFrame): Promise<void>;
}

export function routeFrame(frame: Frame, routes: FrameRoutes): Promise<void> {
  switch (frame.type) {
    case FrameType.HELLO:
      return routes.hello(frame.id, frame.body);
    case FrameType.ACK:
      return routes.ack(frame.body.seqs);
    case FrameType.CHALLENGE:
    case FrameType.RESPONSE:
    case FrameType.DELIVERY:
    case FrameType.NOTICE:
    case FrameType.ADVISORY:
      throw new ProtocolError(ErrorCode.UNKNOWN_FRAME_TYPE, `${FrameType[frame.type]} frames go from server to client only.`);
    case FrameType.UPLOAD_KEY_PACKAGES:
    case FrameType.CLAIM_KEY_PACKAGES:
    case FrameType.CONTACT_REQUEST:
    case FrameType.CONTACT_RESPOND:
    case FrameType.LIST_CONTACTS:
    case FrameType.CREATE_GROUP:
    case FrameType.COMMIT:
    case FrameType.SEND:
    case FrameType.LEAVE_GROUP:
    case FrameType.GET_DEVICES:
    case FrameType.GET_TURN_CREDENTIALS:
    case FrameType.REPORT_ANOMALIES:
    case FrameType.SET_LOCKDOWN:
    case FrameType.CREATE_CONTACT_LINK:
    case FrameType.CREATE_DEVICE_LINK:
    case FrameType.PUBLISH_DEVICE_LIST:
    case FrameType.GET_DEVICE_LIST:
    case FrameType.SEND_LINK_BUNDLE:
    case FrameType.CREATE_UPLOAD:
    case FrameType.SET_PUSH_SUBSCRIPTION:
    case FrameType.JOIN_GROUP_CALL:
    case FrameType.LEAVE_GROUP_CALL:
      return routes.request(frame);
    default:
      throw missingCase(frame);
  }
}
