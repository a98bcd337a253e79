/**
 * @module app/web-push
 * This browser's Web Push subscription: asked of the browser's PushManager with the server's
 * VAPID key, and handed to the server, which then sends an empty `{"v":1}` push when something
 * waits for a closed app (PROTOCOL.md §14). The push says nothing; the service worker shows only
 * "New message", and the app learns the rest after it connects and decrypts.
 */
import type { SottoClient } from '@sotto/core';
import { errorText } from './error-text.js';

/** What came of turning push on: on, or why the member is notified only while Sotto is open. */
export type PushOutcome =
  | { readonly kind: 'on' }
  | { readonly kind: 'server-off' }
  | { readonly kind: 'browser-unsupported' }
  | { readonly kind: 'browser-failed' }
  | { readonly kind: 'server-refused'; readonly reason: string };

export function pushOutcomeText(outcome: PushOutcome): string {
  switch (outcome.kind) {
    case 'on':
      return 'You will be notified of new messages even while Sotto is closed. Notifications say only “New message”.';
    case 'server-off':
      return 'This server does not send push notifications; you will be notified while Sotto is open.';
    case 'browser-unsupported':
      return 'This browser cannot receive push notifications; you will be notified while Sotto is open.';
    case 'browser-failed':
      return 'Your browser could not reach its push service, so you will be notified only while Sotto is open. Try again later.';
    case 'server-refused':
      return `The server did not accept this browser’s push subscription (${outcome.reason}); you will be notified while Sotto is open.`;
  }
}

const WORKER_WAIT_MS = 10_000;

/** The service worker's registration, or undefined if it is not running (no worker, or not yet). */
async function registration(): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), WORKER_WAIT_MS));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

/** Subscribes this browser and gives the subscription to the server. */
export async function turnPushOn(client: SottoClient): Promise<PushOutcome> {
  const key = client.push.vapidPublicKey();
  if (!key) return { kind: 'server-off' };
  if (typeof PushManager === 'undefined') return { kind: 'browser-unsupported' };
  const worker = await registration();
  if (!worker) return { kind: 'browser-unsupported' };
  let subscription: PushSubscription;
  try {
    subscription = await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key as Uint8Array<ArrayBuffer> });
  } catch {
    return { kind: 'browser-failed' };
  }
  const p256dh = subscription.getKey('p256dh');
  const auth = subscription.getKey('auth');
  if (!p256dh || !auth) {
    await subscription.unsubscribe().catch(() => undefined);
    return { kind: 'browser-failed' };
  }
  try {
    await client.push.subscribe({ endpoint: subscription.endpoint, p256dh, auth });
  } catch (error) {
    await subscription.unsubscribe().catch(() => undefined);
    return { kind: 'server-refused', reason: errorText(error).replace(/\.$/, '') };
  }
  return { kind: 'on' };
}

/** Forgets the subscription on both sides; a side that cannot be reached now is not an error to show. */
export async function turnPushOff(client: SottoClient): Promise<void> {
  const worker = await registration();
  const subscription = await worker?.pushManager?.getSubscription().catch(() => null);
  await subscription?.unsubscribe().catch(() => undefined);
  if (client.push.vapidPublicKey()) await client.push.unsubscribe().catch(() => undefined);
}
