/** @module gateway/requests */
// Authenticated requests: each frame type to its service call and its
// RESPONSE result. Validation and rules live in the services; this file only
// translates between wire messages and service calls.
import {
  ClaimedKeyPackageSchema,
  ClaimKeyPackagesOkSchema,
  CommitOkSchema,
  ContactLinkSchema,
  ContactSchema,
  create,
  LockdownStateSchema,
  DeviceInfoSchema,
  DeviceLinkCreatedSchema,
  DeviceListChainSchema,
  EmptySchema,
  FrameType,
  GetDevicesOkSchema,
  ListContactsOkSchema,
  missingCase,
  SendOkSchema,
  TurnCredentialsSchema,
  UploadKeyPackagesOkSchema,
  UploadTicketSchema, GroupCallTicketSchema,
  type Frame,
  type Response,
} from '@sotto/protocol';
import { rateSubject, type Caller } from '../services/caller.js';
import type { Services } from '../services/services.js';

/** Frames that need an authenticated device and get exactly one RESPONSE. */
export type RequestFrame = Extract<
  Frame,
  {
    type:
      | FrameType.UPLOAD_KEY_PACKAGES
      | FrameType.CLAIM_KEY_PACKAGES
      | FrameType.CONTACT_REQUEST
      | FrameType.CONTACT_RESPOND
      | FrameType.LIST_CONTACTS
      | FrameType.CREATE_GROUP
      | FrameType.COMMIT
      | FrameType.SEND
      | FrameType.LEAVE_GROUP
      | FrameType.GET_DEVICES
      | FrameType.GET_TURN_CREDENTIALS
      | FrameType.REPORT_ANOMALIES
      | FrameType.SET_LOCKDOWN
      | FrameType.CREATE_CONTACT_LINK
      | FrameType.CREATE_DEVICE_LINK
      | FrameType.PUBLISH_DEVICE_LIST
      | FrameType.GET_DEVICE_LIST
      | FrameType.SEND_LINK_BUNDLE
      | FrameType.CREATE_UPLOAD
      | FrameType.SET_PUSH_SUBSCRIPTION
      | FrameType.JOIN_GROUP_CALL
      | FrameType.LEAVE_GROUP_CALL;
  }
>;

export type ResponseResult = Response['result'];

export type SendFrame = Extract<Frame, { type: FrameType.SEND }>;

/** A SEND started in two steps (DeliveryService.startSend): `queued` in request order, then its `result`. */
export interface StartedSend {
  readonly queued: Promise<void>;
  readonly result: Promise<ResponseResult>;
}

export function startSend(services: Services, caller: Caller, frame: SendFrame): StartedSend {
  const pending = services.delivery.startSend(caller, frame.body);
  return {
    queued: pending.queued,
    result: pending.done.then((sent): ResponseResult => ({
      case: 'send',
      value: create(SendOkSchema, { storedAt: BigInt(sent.storedAt), recipients: sent.recipients }),
    })),
  };
}

const ok = (): ResponseResult => ({ case: 'ok', value: create(EmptySchema) });

export async function handleRequest(services: Services, caller: Caller, frame: RequestFrame): Promise<ResponseResult> {
  const device = caller.device;
  switch (frame.type) {
    case FrameType.UPLOAD_KEY_PACKAGES: {
      const remaining = await services.keyPackages.upload(device, frame.body);
      return { case: 'uploadKeyPackages', value: create(UploadKeyPackagesOkSchema, { remaining }) };
    }
    case FrameType.CLAIM_KEY_PACKAGES: {
      const claimed = await services.keyPackages.claim(caller, frame.body.username, frame.body.deviceIds);
      const packages = claimed.map((c) =>
        create(ClaimedKeyPackageSchema, {
          deviceId: c.device.deviceId,
          identityKey: c.device.identityKey,
          keyPackage: c.keyPackage,
          lastResort: c.lastResort,
        }),
      );
      return { case: 'claimKeyPackages', value: create(ClaimKeyPackagesOkSchema, { packages }) };
    }
    case FrameType.CONTACT_REQUEST:
      await services.contacts.request(caller, { to: frame.body.toUsername, text: frame.body.text, call: frame.body.call, linkToken: frame.body.linkToken });
      return ok();
    case FrameType.CONTACT_RESPOND:
      await services.contacts.respond(device, frame.body.username, frame.body.action);
      return ok();
    case FrameType.LIST_CONTACTS: {
      const contacts = (await services.contacts.list(device)).map((c) =>
        create(ContactSchema, { username: c.peer, state: c.state, text: c.text, updatedAt: BigInt(c.updatedAt), viaLink: c.viaLink }),
      );
      return { case: 'listContacts', value: create(ListContactsOkSchema, { contacts }) };
    }
    case FrameType.CREATE_GROUP:
      await services.delivery.createGroup(device, frame.body);
      return ok();
    case FrameType.COMMIT: {
      const epoch = await services.delivery.commit(device, frame.body);
      // A device the group no longer routes to leaves its call too, now rather than at expiry.
      await services.groupCalls.withdraw(frame.body.groupId, frame.body.removed.map((d) => ({ username: d.username, deviceId: d.deviceId })));
      return { case: 'commit', value: create(CommitOkSchema, { epoch }) };
    }
    case FrameType.SEND:
      return startSend(services, caller, frame).result;
    case FrameType.LEAVE_GROUP:
      await services.delivery.leave(device, frame.body);
      await services.groupCalls.withdraw(frame.body.groupId, [device]);
      return ok();
    case FrameType.GET_DEVICES: {
      const devices = await services.accounts.getDevices(frame.body.username);
      return {
        case: 'getDevices',
        value: create(GetDevicesOkSchema, {
          username: frame.body.username,
          devices: devices.map((d) => create(DeviceInfoSchema, { deviceId: d.deviceId, identityKey: d.identityKey })),
        }),
      };
    }
    case FrameType.GET_TURN_CREDENTIALS: {
      const turn = services.turn.credentials(device);
      return {
        case: 'turnCredentials',
        value: create(TurnCredentialsSchema, { urls: [...turn.urls], username: turn.username, credential: turn.credential, ttlSeconds: turn.ttlSeconds }),
      };
    }
    case FrameType.REPORT_ANOMALIES:
      await services.rates.take('report', rateSubject(caller));
      await services.anomalies.report(device, frame.body.reports);
      return ok();
    case FrameType.SET_LOCKDOWN: {
      const state = await services.lockdown.set(device, frame.body.enabled);
      return { case: 'lockdown', value: create(LockdownStateSchema, { enabled: state.enabled, refused: state.refused }) };
    }
    case FrameType.CREATE_CONTACT_LINK: {
      const link = await services.lockdown.createLink(device, frame.body.ttlHours);
      return { case: 'contactLink', value: create(ContactLinkSchema, { token: link.token, expiresAt: BigInt(link.expiresAt) }) };
    }
    case FrameType.CREATE_DEVICE_LINK: {
      const link = await services.devices.createLink(caller);
      return { case: 'deviceLink', value: create(DeviceLinkCreatedSchema, { linkId: link.linkId, expiresAt: BigInt(link.expiresAt) }) };
    }
    case FrameType.PUBLISH_DEVICE_LIST:
      await services.devices.publish(caller, frame.body.list);
      return ok();
    case FrameType.GET_DEVICE_LIST: {
      const lists = await services.devices.lists(caller, frame.body.username, frame.body.afterVersion);
      return { case: 'deviceLists', value: create(DeviceListChainSchema, { lists }) };
    }
    case FrameType.SEND_LINK_BUNDLE:
      await services.devices.sendBundle(caller, frame.body.linkId, frame.body.sealed);
      return ok();
    case FrameType.CREATE_UPLOAD: {
      const ticket = await services.blobs.createUpload(caller, frame.body.size);
      return {
        case: 'upload',
        value: create(UploadTicketSchema, { blobId: ticket.blobId, token: ticket.token, expiresAt: BigInt(ticket.expiresAt), maxSize: BigInt(ticket.maxSize) }),
      };
    }
    case FrameType.SET_PUSH_SUBSCRIPTION:
      await services.push.subscribe(device, { endpoint: frame.body.endpoint, p256dh: frame.body.p256dh, auth: frame.body.auth });
      return ok();
    case FrameType.JOIN_GROUP_CALL: {
      await services.rates.take('message', rateSubject(caller));
      return { case: 'groupCall', value: create(GroupCallTicketSchema, await services.groupCalls.join(device, frame.body)) };
    }
    case FrameType.LEAVE_GROUP_CALL:
      await services.groupCalls.leave(device, frame.body);
      return ok();
    default:
      throw missingCase(frame);
  }
}
