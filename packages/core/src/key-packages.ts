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

export async function replenishKeyPackages(ctx: EngineContext, remainingOnServer: number, target = KEY_PACKAGE_TARGET): Promise<number> {
  const missing = Math.min(LIMITS.keyPackagesPerUpload, target - remainingOnServer);
  const needLastResort = remainingOnServer === 0 && (await ctx.store.countLastResortKeyPackages()) === 0;
  if (missing <= 0 && !needLastResort) return remainingOnServer;
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
  const result = await ctx.session.request(FrameType.UPLOAD_KEY_PACKAGES, create(UploadKeyPackagesSchema, { keyPackages: encoded, lastResort }));
  return result.case === 'uploadKeyPackages' ? result.value.remaining : remainingOnServer;
}

function toStored(
  ref: string,
  publicPackage: Uint8Array,
  privatePackage: { initPrivateKey: Uint8Array; hpkePrivateKey: Uint8Array; signaturePrivateKey: Uint8Array },
  lastResort: boolean,
): StoredKeyPackage {
  return { ref, publicPackage, ...privatePackage, lastResort };
}
