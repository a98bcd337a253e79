/**
 * @module push/push-receiver
 * For tests: a local Web Push receiver on 127.0.0.1 that checks what a browser vendor's push
 * service and the browser would. The real services cannot be reached from the test machine, so
 * this one stands in: it verifies the VAPID Authorization header (RFC 8292: an ES256 JWT signed by
 * the key in `k=`, its `aud`, `exp` and `sub`) and decrypts the body as the browser does
 * (RFC 8291 with RFC 8188 aes128gcm), written here independently of web-push with node:crypto's
 * ECDH, HKDF and AES-128-GCM, so a mistake in either side shows.
 */
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A browser's side of one subscription: its key pair and auth secret, and the endpoint it was given. */
export interface TestSubscription {
  readonly endpoint: string;
  readonly p256dh: Uint8Array;
  readonly auth: Uint8Array;
  readonly ecdh: ECDH;
}

export interface ReceivedPush {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface VapidClaims {
  readonly aud: string;
  readonly exp: number;
  readonly sub: string;
  /** The public key from `k=`, 65 bytes. */
  readonly key: Uint8Array;
}

export class PushReceiver {
  readonly received: ReceivedPush[] = [];
  /** Status to answer by path; 201 (Created, as RFC 8030 says) otherwise. */
  readonly statusByPath = new Map<string, number>();
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<PushReceiver> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const receiver = new PushReceiver(server, `http://127.0.0.1:${port}`);
    server.on('request', (request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '';
        receiver.received.push({ path, headers: request.headers, body: Buffer.concat(chunks) });
        response.statusCode = receiver.statusByPath.get(path) ?? 201;
        response.end();
      });
    });
    return receiver;
  }

  /** A new browser subscription on this receiver, at `/push/<name>`. */
  subscription(name: string): TestSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    return { endpoint: `${this.origin}/push/${name}`, p256dh: new Uint8Array(ecdh.getPublicKey()), auth: new Uint8Array(randomBytes(16)), ecdh };
  }

  to(subscription: TestSubscription): ReceivedPush[] {
    const path = new URL(subscription.endpoint).pathname;
    return this.received.filter((push) => push.path === path);
  }

  async close(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
    await once(this.server, 'close');
  }
}

const fromBase64url = (text: string): Buffer => Buffer.from(text, 'base64url');

/** Checks the `vapid t=<JWT>, k=<key>` header's signature; returns its claims, or throws saying what is wrong. */
export function verifyVapid(authorization: string | undefined): VapidClaims {
  const match = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error(`not a VAPID Authorization header: ${authorization}`);
  const [header, payload, signature] = match[1]!.split('.') as [string, string, string];
  const key = fromBase64url(match[2]!);
  if (key.length !== 65 || key[0] !== 0x04) throw new Error('k= is not an uncompressed P-256 key');
  const jwk = { kty: 'EC', crv: 'P-256', x: key.subarray(1, 33).toString('base64url'), y: key.subarray(33).toString('base64url') };
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  const good = verify('sha256', Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, fromBase64url(signature));
  if (!good) throw new Error('the JWT signature does not verify with k=');
  const head = JSON.parse(fromBase64url(header).toString('utf8')) as { alg?: string };
  if (head.alg !== 'ES256') throw new Error(`the JWT is ${head.alg}, not ES256`);
  const claims = JSON.parse(fromBase64url(payload).toString('utf8')) as { aud: string; exp: number; sub: string };
  return { aud: claims.aud, exp: claims.exp, sub: claims.sub, key: new Uint8Array(key) };
}

function hkdf(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** Decrypts an aes128gcm Web Push body (one record) with the subscription's key and secret; RFC 8291 §3.4, RFC 8188 §2. */
export function decryptPush(body: Buffer, subscription: TestSubscription): string {
  const salt = body.subarray(0, 16);
  const idLength = body[20]!;
  const senderKey = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  const ecdhSecret = subscription.ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), Buffer.from(subscription.p256dh), senderKey]);
  const ikm = hkdf(ecdhSecret, Buffer.from(subscription.auth), keyInfo, 32);
  const cek = hkdf(ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then any zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 0x02) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}
