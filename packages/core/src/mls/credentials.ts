/**
 * @module mls/credentials
 * A member's MLS credential names one device: `username:deviceId`. The
 * credential's signature key is that device's identity key, so the key the
 * server registered, the key MLS verifies and the key in the safety number
 * are one and the same.
 */
import type { Credential } from 'ts-mls';
import { isValidUsername, LIMITS } from '@sotto/protocol';
import { utf8 } from '../bytes.js';

export interface DeviceName {
  readonly username: string;
  readonly deviceId: string;
}

export function credentialFor(device: DeviceName): Credential {
  return { credentialType: 'basic', identity: utf8.encode(`${device.username}:${device.deviceId}`) };
}

/** Parses a credential; undefined for anything that is not a well-formed Sotto device name. */
export function deviceOfCredential(credential: Credential): DeviceName | undefined {
  if (credential.credentialType !== 'basic') return undefined;
  let text: string;
  try {
    text = utf8.decode(credential.identity);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const username = text.slice(0, colon);
  const deviceId = text.slice(colon + 1);
  if (!isValidUsername(username) || deviceId.length === 0 || deviceId.length > LIMITS.deviceIdMaxLength || !/^[0-9a-f]+$/.test(deviceId)) {
    return undefined;
  }
  return { username, deviceId };
}
