/**
 * @module app/profiles
 * Display names, avatars and verification as screens read them. Profiles change by their own
 * event (`didChangeProfile`), which the app-wide revision does not follow, so these hooks listen
 * to it as well.
 */
import { useEffect, useRef, useState } from 'react';
import type { ProfileView } from '@sotto/core';
import { useEngine, useLoaded, useRevision } from './hooks.js';

/** A number that changes whenever any profile (the member's own or a contact's) changes, or anything else the engine reports. */
export function useProfileRevision(): string {
  const { client } = useEngine();
  const revision = useRevision();
  const [changes, setChanges] = useState(0);
  useEffect(() => client.events.didChangeProfile.event(() => setChanges((n) => n + 1)), [client]);
  return `${revision}:${changes}`;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.byteLength !== b.byteLength) return false;
  return a.every((byte, i) => byte === b[i]);
}

/** The profiles of `usernames`, by username; reloaded when any profile changes. */
export function useProfiles(usernames: readonly string[]): ReadonlyMap<string, ProfileView> {
  const { client } = useEngine();
  const revision = useProfileRevision();
  const key = usernames.join('\n');
  // The engine hands out new bytes on every read: an unchanged avatar keeps the bytes shown before,
  // so it is not decoded and drawn again on every message.
  const shown = useRef(new Map<string, ProfileView>());
  const loaded = useLoaded(async () => {
    const profiles = new Map(await Promise.all(usernames.map(async (u) => {
      const profile = await client.profile.of(u);
      const before = shown.current.get(u);
      return [u, before && before.displayName === profile.displayName && sameBytes(before.avatar, profile.avatar) ? before : profile] as const;
    })));
    shown.current = profiles;
    return profiles;
  }, [client, revision, key]);
  return loaded ?? shown.current;
}

/** Whether each of `usernames` is verified: 'verified', 'changed' (compare again) or 'unverified'. */
export function useVerification(usernames: readonly string[]): ReadonlyMap<string, 'verified' | 'changed' | 'unverified'> {
  const { client } = useEngine();
  const revision = useRevision();
  const key = usernames.join('\n');
  const loaded = useLoaded(async () => new Map(await Promise.all(usernames.map(async (u) => [u, await client.verification(u)] as const))), [client, revision, key]);
  return loaded ?? new Map();
}
