/** @module gateway/requests */
// Authenticated requests: each frame type to its service call and its
// RESPONSE result. Validation and rules live in the services; this file only
// translates between wire messages and service calls.
import {
  ClaimedKeyPackageSchema,
  ClaimKeyPackagesOkSchema,
  CommitOkSchema,
  ContactSchema,
  create,
  DeviceInfoSchema,
  EmptySchema,
  FrameType,
  GetDevicesOkSchema,
  ListContactsOkSchema,
  missingCase,
  SendOkSchema,
  TurnCredentialsSchema,
  UploadKeyPackagesOkSchema,
  type Frame,
  type Response,
} from '@sotto/protocol';
import type { Services } from '../services/services.js';
import type { DeviceAddress } from '../storage/types.js';

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
      | FrameType.GET_TURN_CREDENTIALS;
  }
>;

export type ResponseResult = Response['result'];

const ok = (): ResponseResult => ({ case: 'ok', value: create(EmptySchema) });

export async function handleRequest(services: Services, device: DeviceAddress, frame: RequestFrame): Promise<ResponseResult> {
  switch (frame.type) {
    case FrameType.UPLOAD_KEY_PACKAGES: {
      const remaining = await services.keyPackages.upload(device, frame.body);
      return { case: 'uploadKeyPackages', value: create(UploadKeyPackagesOkSchema, { remaining }) };
    }
    case FrameType.CLAIM_KEY_PACKAGES: {
      const claimed = await services.keyPackages.claim(device, frame.body.username);
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
      await services.contacts.request(device, frame.body.toUsername, frame.body.text, frame.body.call);
      return ok();
    case FrameType.CONTACT_RESPOND:
      await services.contacts.respond(device, frame.body.username, frame.body.action);
      return ok();
    case FrameType.LIST_CONTACTS: {
      const contacts = (await services.contacts.list(device)).map((c) =>
        create(ContactSchema, { username: c.peer, state: c.state, text: c.text, updatedAt: BigInt(c.updatedAt) }),
      );
      return { case: 'listContacts', value: create(ListContactsOkSchema, { contacts }) };
    }
    case FrameType.CREATE_GROUP:
      await services.delivery.createGroup(device, frame.body);
      return ok();
    case FrameType.COMMIT: {
      const epoch = await services.delivery.commit(device, frame.body);
      return { case: 'commit', value: create(CommitOkSchema, { epoch }) };
    }
    case FrameType.SEND: {
      const sent = await services.delivery.send(device, frame.body);
      return { case: 'send', value: create(SendOkSchema, { storedAt: BigInt(sent.storedAt), recipients: sent.recipients }) };
    }
    case FrameType.LEAVE_GROUP:
      await services.delivery.leave(device, frame.body);
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
    default:
      throw missingCase(frame);
  }
}
