/**
 * @module key-packages
 * Keeps this device's supply of one-time key packages on the server topped
 * up. Private halves are stored before the public halves are uploaded, so a
 * Welcome can never name a package this device cannot open.
 */
import { create, FrameType, LIMITS, UploadKeyPackagesSchema } from '@sotto/protocol';
import type { EngineContext } from './context.js';
import type { StoredKeyPackage } from './ports.js';

export const KEY_PACKAGE_TARGET = 30;

/**
 * What this device's key packages advertise, as a number: 2 since they list the group admins
 * extension (a package that does not cannot be added to a named group, RFC 9420 12.1.1).
 */
export const KEY_PACKAGE_VERSION = 2;

/**
 * Once per device and version: when this device's packages on the server advertise less than
 * this version's (a profile from before), replaces all of them, the last-resort one included, so
 * no old package is claimed after it. A device that has uploaded nothing yet (just registered or
 * linked) only records the version: what it uploads next is current. Returns what remains on the server.
 */
export async function refreshKeyPackages(ctx: EngineContext, remainingOnServer: number): Promise<number> {
  if (((await ctx.store.getSettings()).keyPackageVersion ?? 1) >= KEY_PACKAGE_VERSION) return remainingOnServer;
  const uploadedBefore = remainingOnServer > 0 || (await ctx.store.countLastResortKeyPackages()) > 0;
  let remaining = remainingOnServer;
  if (uploadedBefore) {
    const uploaded = await upload(ctx, KEY_PACKAGE_TARGET, true, true);
    remaining = uploaded < 0 ? KEY_PACKAGE_TARGET : uploaded;
  }
  await ctx.store.apply({ settings: { keyPackageVersion: KEY_PACKAGE_VERSION } });
  return remaining;
}

export async function replenishKeyPackages(ctx: EngineContext, remainingOnServer: number, target = KEY_PACKAGE_TARGET): Promise<number> {
  const missing = Math.min(LIMITS.keyPackagesPerUpload, target - remainingOnServer);
  const needLastResort = remainingOnServer === 0 && (await ctx.store.countLastResortKeyPackages()) === 0;
  if (missing <= 0 && !needLastResort) return remainingOnServer;
  const uploaded = await upload(ctx, Math.max(0, missing), needLastResort, false);
  return uploaded < 0 ? remainingOnServer : uploaded;
}

/** Makes `count` one-time packages (and a last-resort one), stores their private halves, uploads them; -1 if the answer said nothing. */
async function upload(ctx: EngineContext, missing: number, needLastResort: boolean, replace: boolean): Promise<number> {
  const self = { username: ctx.identity.username, deviceId: ctx.identity.deviceId };
  const key = { publicKey: ctx.identity.publicKey, signKey: ctx.identity.signKey };
  const fresh: StoredKeyPackage[] = [];
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < missing; i++) {
    const generated = await ctx.mls.generateKeyPackage(self, key);
    fresh.push(toStored(generated.ref, generated.encoded, generated.privatePackage, false));
    encoded.push(generated.encoded);
  }
  let lastResort: Uint8Array = new Uint8Array();
  if (needLastResort) {
    const generated = await ctx.mls.generateKeyPackage(self, key, true);
    fresh.push(toStored(generated.ref, generated.encoded, generated.privatePackage, true));
    lastResort = generated.encoded;
  }
  await ctx.store.apply({ keyPackagesAdd: fresh });
  const result = await ctx.session.request(FrameType.UPLOAD_KEY_PACKAGES, create(UploadKeyPackagesSchema, { keyPackages: encoded, lastResort, replace }));
  return result.case === 'uploadKeyPackages' ? result.value.remaining : -1;
}

function toStored(
  ref: string,
  publicPackage: Uint8Array,
  privatePackage: { initPrivateKey: Uint8Array; hpkePrivateKey: Uint8Array; signaturePrivateKey: Uint8Array },
  lastResort: boolean,
): StoredKeyPackage {
  return { ref, publicPackage, ...privatePackage, lastResort };
}
