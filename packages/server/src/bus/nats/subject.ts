/** @module bus/nats/subject Subject names: one per device, naming no member. */
// NATS monitoring (`/subsz`, `/connz?subs=1`) and server logs show subjects
// to anyone who operates NATS, so a subject carries a digest of the device,
// never a username or device id.
import { createHash } from 'node:crypto';
import { ConfigError } from '../../errors.js';
import { deviceKey, type DeviceAddress } from '../bus.js';

/** A single subject token: no dots, wildcards or spaces, short enough to read in monitoring. */
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function checkClusterName(cluster: string): string {
  if (!CLUSTER_NAME.test(cluster)) {
    throw new ConfigError(`The NATS cluster name must be 1 to 64 letters, digits, '-' or '_'; got ${JSON.stringify(cluster)}.`);
  }
  return cluster;
}

/** `sotto.<cluster>.dev.<sha256(username NUL deviceId) in hex>`. */
export function deviceSubject(cluster: string, device: DeviceAddress): string {
  return `sotto.${cluster}.dev.${createHash('sha256').update(deviceKey(device)).digest('hex')}`;
}
