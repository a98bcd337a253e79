/**
 * @module push
 * Web Push on this device: the server's VAPID public key (from the hello; undefined when the
 * server sends no pushes), and the device's subscription, sent to the server with
 * SET_PUSH_SUBSCRIPTION (PROTOCOL.md §14). Pure: the web app asks the browser's PushManager for
 * the subscription (with `applicationServerKey` = vapidPublicKey()) and hands its parts here.
 * A push the server sends carries nothing but `{"v":1}`: the app wakes, connects, and reads.
 */
import { create, FrameType, LIMITS, PushSubscriptionSchema, type HelloOk } from '@sotto/protocol';
import { fromBase64Url } from './bytes.js';
import { ClientError } from './errors.js';
import type { Session } from './session.js';

/** A browser PushSubscription's parts: the keys as bytes, or as the base64url text `toJSON()` gives. */
export interface PushSubscriptionParts {
  readonly endpoint: string;
  readonly p256dh: Uint8Array | ArrayBuffer | string;
  readonly auth: Uint8Array | ArrayBuffer | string;
}

/** What Push needs of the session: its requests. */
export type PushRequester = Pick<Session, 'request'>;

function keyBytes(value: Uint8Array | ArrayBuffer | string, field: string): Uint8Array {
  const bytes = typeof value === 'string' ? fromBase64Url(value) : value instanceof Uint8Array ? value : new Uint8Array(value);
  if (!bytes) throw new ClientError('INVALID_INPUT', `The push subscription's ${field} is not base64url.`);
  return bytes;
}

export class Push {
  private key: Uint8Array | undefined;

  constructor(private readonly session: PushRequester) {}

  /** Takes the VAPID key from each hello (the server may have turned push on or off since). */
  adopt(hello: Pick<HelloOk, 'vapidPublicKey'>): void {
    this.key = hello.vapidPublicKey.length > 0 ? hello.vapidPublicKey.slice() : undefined;
  }

  /** The server's VAPID public key (65 bytes) to subscribe with; undefined: the server sends no pushes. */
  vapidPublicKey(): Uint8Array | undefined {
    return this.key?.slice();
  }

  /**
   * Gives the server this device's subscription (replacing any earlier one). INVALID_INPUT for a
   * subscription of the wrong shape, before anything is sent; the server checks it again, and
   * refuses endpoints that are not a known push service's (REMOTE, INVALID_ARGUMENT).
   */
  async subscribe(subscription: PushSubscriptionParts): Promise<void> {
    if (!this.key) throw new ClientError('INVALID_INPUT', 'This server sends no push notifications (its hello carried no VAPID key).');
    const p256dh = keyBytes(subscription.p256dh, 'p256dh');
    const auth = keyBytes(subscription.auth, 'auth');
    if (!subscription.endpoint.startsWith('https://') || subscription.endpoint.length > LIMITS.pushEndpointMaxChars) {
      throw new ClientError('INVALID_INPUT', `A push endpoint is an https:// URL of at most ${LIMITS.pushEndpointMaxChars} characters.`);
    }
    if (p256dh.byteLength !== LIMITS.pushP256dhBytes || p256dh[0] !== 0x04) {
      throw new ClientError('INVALID_INPUT', `The push subscription's p256dh must be ${LIMITS.pushP256dhBytes} bytes (an uncompressed P-256 key).`);
    }
    if (auth.byteLength !== LIMITS.pushAuthBytes) throw new ClientError('INVALID_INPUT', `The push subscription's auth must be ${LIMITS.pushAuthBytes} bytes.`);
    await this.session.request(FrameType.SET_PUSH_SUBSCRIPTION, create(PushSubscriptionSchema, { endpoint: subscription.endpoint, p256dh, auth }));
  }

  /** Tells the server to forget this device's subscription (an empty endpoint); harmless when there is none. */
  async unsubscribe(): Promise<void> {
    await this.session.request(FrameType.SET_PUSH_SUBSCRIPTION, create(PushSubscriptionSchema, { endpoint: '' }));
  }
}
