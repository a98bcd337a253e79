/**
 * @module test/support/floods
 * Attackers and witnesses for the flood scenarios: a client that writes tiny frames as fast as its
 * socket takes them and never reads an answer, two honest members measuring how long a message
 * takes to reach the other, slow HTTP requests on raw sockets, and the server's resident memory.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';
import { ContactAction, create, encodeFrame, FrameType, ListContactsSchema, NoticeKind } from '@sotto/protocol';
import { makeIdentity, resultOf, WireClient, type Closed } from '@sotto/server/wire-client';

/** The resident set of process `pid` in bytes (VmRSS in /proc/<pid>/status). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** Samples a process's resident memory every `everyMs` until stopped; keeps the peak. */
export class MemoryWatch {
  peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }

  private sample(): void {
    try {
      this.peak = Math.max(this.peak, residentBytes(this.pid));
    } catch {
      // The process is gone: the peak so far is all there is.
    }
  }
}

/** Bytes a flooder lets its own socket hold unsent: the flood is as fast as the server reads, and costs this process nothing. */
const FLOODER_BACKLOG_BYTES = 256 * 1024;

/**
 * `count` copies of a client-to-server WebSocket binary message carrying `frame`, as one buffer.
 * Clients must mask; a zero masking key is valid and leaves the payload as it is.
 */
function maskedMessages(frame: Uint8Array, count: number): Buffer {
  if (frame.byteLength > 125) throw new Error('a flood frame must fit a short WebSocket header');
  const one = Buffer.alloc(6 + frame.byteLength);
  one[0] = 0x82; // FIN, binary
  one[1] = 0x80 | frame.byteLength; // masked, length
  one.set(frame, 6);
  return Buffer.concat(Array.from({ length: count }, () => one));
}

/**
 * A client that writes one small request frame (LIST_CONTACTS, 7 bytes) as fast as the server
 * reads it, and never reads anything back: the attack of issue 15, hole 7. Registered or not.
 */
export class Flooder {
  /** WebSocket messages written to the socket. */
  sent = 0;
  private flooding = false;
  private readonly burst: Buffer;
  private readonly perBurst: number;

  private constructor(
    private readonly client: WireClient,
    private readonly raw: Socket,
  ) {
    const frame = encodeFrame(FrameType.LIST_CONTACTS, 1, create(ListContactsSchema, {}));
    this.perBurst = Math.floor(64 * 1024 / (6 + frame.byteLength));
    this.burst = maskedMessages(frame, this.perBurst);
  }

  /** Connects; registers a fresh account first when `register` is set. */
  static async connect(url: string, options: { register?: boolean; headers?: Record<string, string> } = {}): Promise<Flooder> {
    const client = await WireClient.connect(url, options.headers ? { headers: options.headers } : {});
    if (options.register) await client.register(`flood${randomBytes(4).toString('hex')}`, makeIdentity());
    // ws keeps the socket it speaks over here; the flood goes straight to it, past ws's sender.
    const raw = (client.socket as unknown as { _socket: Socket })._socket;
    return new Flooder(client, raw);
  }

  /** Stops reading and starts writing. */
  start(): void {
    this.client.socket.pause();
    this.flooding = true;
    this.raw.on('drain', () => this.fill());
    this.fill();
  }

  /** Stops writing. */
  stop(): void {
    this.flooding = false;
  }

  /** Reads again and waits for the end: the close code the server sent (1006 if it only cut the socket). */
  async closedBy(timeoutMs: number): Promise<Closed | undefined> {
    this.stop();
    this.client.socket.resume();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const closed = await Promise.race([this.client.closed, timeout]);
    clearTimeout(timer);
    return closed;
  }

  /** Ends the connection from this side. */
  destroy(): void {
    this.stop();
    this.raw.destroy();
  }

  private fill(): void {
    while (this.flooding && !this.raw.destroyed && this.raw.writableLength < FLOODER_BACKLOG_BYTES) {
      this.raw.write(this.burst);
      this.sent += this.perBurst;
    }
  }
}

/** Two members in one conversation: one sends, the other receives and acks, one message at a time. */
export class HonestPair {
  private constructor(
    private readonly alice: WireClient,
    private readonly bob: WireClient,
    private readonly groupId: Uint8Array,
  ) {}

  static async connect(url: string, headers?: Record<string, string>): Promise<HonestPair> {
    const options = headers ? { headers } : {};
    const alice = await WireClient.connect(url, options);
    const bob = await WireClient.connect(url, options);
    const names = [`alice${randomBytes(3).toString('hex')}`, `bob${randomBytes(3).toString('hex')}`] as const;
    await alice.register(names[0], makeIdentity());
    await bob.register(names[1], makeIdentity());
    await alice.nextNotice(NoticeKind.MAILBOX_DRAINED);
    await bob.nextNotice(NoticeKind.MAILBOX_DRAINED);
    resultOf(await alice.request(FrameType.CONTACT_REQUEST, { toUsername: names[1], text: 'hi' }), 'ok');
    bob.ack([(await bob.nextDelivery()).seq]);
    resultOf(await bob.request(FrameType.CONTACT_RESPOND, { username: names[0], action: ContactAction.ACCEPT }), 'ok');
    alice.ack([(await alice.nextDelivery()).seq]);
    const groupId = new Uint8Array(randomBytes(32));
    resultOf(
      await alice.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members: [{ username: names[1], deviceId: bob.device!.deviceId }], welcome: randomBytes(64) }),
      'ok',
    );
    bob.ack([(await bob.nextDelivery()).seq]);
    return new HonestPair(alice, bob, groupId);
  }

  /**
   * Sends a message every `gapMs` for `durationMs`; each latency is the time from alice's send to
   * bob's delivery, in ms. A message not delivered within the client's timeout counts as Infinity.
   */
  async exchange(durationMs: number, gapMs = 20): Promise<number[]> {
    const latencies: number[] = [];
    const end = performance.now() + durationMs;
    while (performance.now() < end) {
      const started = performance.now();
      try {
        const answered = this.alice.request(FrameType.SEND, { groupId: this.groupId, messageId: randomBytes(16), payload: randomBytes(200) });
        // If the delivery never comes the answer may not either; that failure is counted once, below.
        answered.catch(() => undefined);
        const delivery = await this.bob.nextDelivery();
        latencies.push(performance.now() - started);
        this.bob.ack([delivery.seq]);
        resultOf(await answered, 'send');
      } catch {
        latencies.push(Infinity);
      }
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    return latencies;
  }

  async close(): Promise<void> {
    await Promise.all([this.alice.close(), this.bob.close()]);
  }
}

/** The `p`th percentile (0-100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/**
 * An HTTP request on a raw socket that sends its headers and then one byte of its body every
 * `byteEveryMs`: a slow-body client (or slow headers, or a socket that sends nothing at all).
 * `closed` resolves with the milliseconds until the server closed it.
 */
export class SlowRequest {
  readonly closed: Promise<number>;
  /** What the server answered before closing, if anything. */
  answer = '';
  private readonly timer: NodeJS.Timeout;

  constructor(port: number, options: { path?: string; byteEveryMs?: number; headers?: Record<string, string>; headersOnly?: boolean; silent?: boolean } = {}) {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => (this.answer += chunk.toString('latin1')));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(performance.now() - started)));
    const extra = Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    const head = `POST ${options.path ?? '/healthz'} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}Content-Type: application/json\r\nContent-Length: 100000\r\n`;
    // Headers only: the blank line that ends them never comes (a slow-headers client). Silent: not a byte.
    if (!options.silent) socket.write(options.headersOnly ? head : `${head}\r\n`);
    this.timer = setInterval(() => options.silent || socket.write(options.headersOnly ? 'X' : 'x'), options.byteEveryMs ?? 1_000);
    this.timer.unref();
    void this.closed.then(() => clearInterval(this.timer));
    this.destroy = () => {
      clearInterval(this.timer);
      socket.destroy();
    };
  }

  readonly destroy: () => void;
}
