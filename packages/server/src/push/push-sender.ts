/**
 * @module push/push-sender
 * Sends one Web Push message. web-push builds the request (RFC 8291 aes128gcm encryption of the
 * payload, RFC 8292 VAPID JWT and headers); this module only carries it over HTTP with fetch, so
 * that redirects are never followed (a push service answering 3xx cannot point the server
 * elsewhere) and a slow service is given up on. No cryptography is written here.
 */
import webPush from 'web-push';
import type { PushSubscriptionRecord, VapidKeyPair } from '../storage/domains/push.js';

export type PushUrgency = 'normal' | 'high';

export interface PushMessage {
  readonly payload: string;
  readonly urgency: PushUrgency;
  /** Seconds the push service keeps the message for an unreachable browser. */
  readonly ttlSeconds: number;
  /** RFC 8030 topic: a newer message with the same topic replaces an undelivered older one. */
  readonly topic: string;
  readonly vapid: VapidKeyPair & { readonly subject: string };
}

/** What the push service answered, in the terms the caller acts on. */
export type PushOutcome =
  /** Accepted (201 and the other 2xx). */
  | { readonly kind: 'sent'; readonly status: number }
  /** 404 or 410: the subscription no longer exists; forget it. */
  | { readonly kind: 'gone'; readonly status: number }
  /** Any other answer: a refusal (4xx) or the service's trouble (5xx, 3xx). */
  | { readonly kind: 'refused'; readonly status: number }
  /** No answer: the connection failed or timed out. */
  | { readonly kind: 'failed'; readonly reason: string };

export interface PushSender {
  send(subscription: PushSubscriptionRecord, message: PushMessage): Promise<PushOutcome>;
}

/** How long one push request may take before it is given up on. */
export const PUSH_REQUEST_TIMEOUT_MS = 10_000;

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

export class WebPushSender implements PushSender {
  constructor(private readonly timeoutMs = PUSH_REQUEST_TIMEOUT_MS) {}

  async send(subscription: PushSubscriptionRecord, message: PushMessage): Promise<PushOutcome> {
    const details = webPush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: { p256dh: base64url(subscription.p256dh), auth: base64url(subscription.auth) } },
      message.payload,
      {
        vapidDetails: { subject: message.vapid.subject, publicKey: message.vapid.publicKey, privateKey: message.vapid.privateKey },
        TTL: message.ttlSeconds,
        urgency: message.urgency,
        topic: message.topic,
        contentEncoding: 'aes128gcm',
      },
    );
    const headers = new Headers();
    for (const [name, value] of Object.entries(details.headers)) {
      // fetch sets the length from the body itself.
      if (name.toLowerCase() !== 'content-length') headers.set(name, String(value));
    }
    let response: Response;
    try {
      response = await fetch(details.endpoint, {
        method: details.method,
        headers,
        body: details.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      return { kind: 'failed', reason: error instanceof Error ? error.name : 'unknown' };
    }
    // The body is never needed (it may echo the endpoint); drop it so the connection is reused.
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: 'sent', status };
    if (status === 404 || status === 410) return { kind: 'gone', status };
    return { kind: 'refused', status };
  }
}
