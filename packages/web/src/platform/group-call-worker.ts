/**
 * @module platform/group-call-worker
 * The group call's frame encryption in the browser: an RTCRtpScriptTransform worker. Every Opus
 * frame the page sends is sealed here (SFrame, keys from the group's MLS exporter) before the
 * browser packetises it, and every frame received is opened here before the browser's decoder
 * sees it; a frame that does not open is dropped (frames of the group's next epoch are held for
 * a second, until the page hands over that epoch's keys). The keyring is this worker's own,
 * built from the epoch keys the page posts; its send context is chosen here, per join.
 */
import { GroupCallKeyring, GROUP_CALL_CONTEXT_BITS, SFrameError, type GroupCallEpochKeys, type GroupCallMember } from '@sotto/core';

/** What the page posts: the live epochs' keys, newest first. */
export interface GroupCallWorkerKeys {
  readonly type: 'keys';
  readonly keys: readonly GroupCallEpochKeys[];
}

/** What the worker tells the page. */
export type GroupCallWorkerEvent =
  | { readonly type: 'heard'; readonly feed: number; readonly from: GroupCallMember }
  | { readonly type: 'refused'; readonly reason: string; readonly count: number };

interface TransformOptions {
  readonly side: 'send' | 'receive';
  readonly feed?: number;
}

interface EncodedFrame {
  data: ArrayBuffer;
}

interface RtcTransformEvent extends Event {
  readonly transformer: { readonly readable: ReadableStream<EncodedFrame>; readonly writable: WritableStream<EncodedFrame>; readonly options: TransformOptions };
}

const HOLD_MS = 1_000;
const MAX_HELD = 256;

interface WorkerScope {
  onmessage: ((event: MessageEvent<GroupCallWorkerKeys>) => void) | null;
  onrtctransform: ((event: RtcTransformEvent) => void) | null;
  postMessage(message: GroupCallWorkerEvent): void;
}

const scope = self as unknown as WorkerScope;
const context = BigInt(crypto.getRandomValues(new Uint32Array(1))[0]! >>> (32 - GROUP_CALL_CONTEXT_BITS));
const keyring = new GroupCallKeyring(context, () => performance.now());
const heard = new Set<string>();
let held: { frame: EncodedFrame; bytes: Uint8Array; at: number; epoch: bigint | undefined; controller: TransformStreamDefaultController<EncodedFrame>; feed: number }[] = [];

scope.onmessage = (event) => {
  if (event.data?.type !== 'keys') return;
  // Oldest first, so each is newer than the one before.
  for (const keys of [...event.data.keys].reverse()) keyring.enterEpochKeys(keys);
};

function post(message: GroupCallWorkerEvent): void {
  scope.postMessage(message);
}

/** Refusals counted by reason and told to the page once a second (a flood is one message a second). */
const refusals = new Map<string, number>();
setInterval(() => {
  for (const [reason, count] of refusals) post({ type: 'refused', reason, count });
  refusals.clear();
}, 1_000);

function refused(error: unknown): void {
  const reason = error instanceof SFrameError ? error.reason : 'BAD_INPUT';
  refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
}

function open(feed: number, frame: EncodedFrame, bytes: Uint8Array, controller: TransformStreamDefaultController<EncodedFrame>, mayHold: boolean): void {
  try {
    const opened = keyring.open(bytes);
    const key = `${feed}\n${opened.from.user}\n${opened.from.device}`;
    if (!heard.has(key)) {
      heard.add(key);
      post({ type: 'heard', feed, from: opened.from });
    }
    frame.data = opened.plaintext.slice().buffer;
    controller.enqueue(frame);
  } catch (error) {
    if (mayHold && held.length < MAX_HELD && keyring.isAhead(bytes)) {
      held.push({ frame, bytes, at: performance.now(), epoch: keyring.epoch, controller, feed });
      return;
    }
    refused(error);
  }
}

function retryHeld(): void {
  const now = performance.now();
  const keep: typeof held = [];
  for (const entry of held) {
    if (entry.epoch !== keyring.epoch || now - entry.at > HOLD_MS) open(entry.feed, entry.frame, entry.bytes, entry.controller, false);
    else keep.push(entry);
  }
  held = keep;
}

scope.onrtctransform = (event) => {
  const { readable, writable, options } = event.transformer;
  const transform = new TransformStream<EncodedFrame, EncodedFrame>({
    transform(frame, controller) {
      const bytes = new Uint8Array(frame.data);
      if (options.side === 'send') {
        // No key yet (the page posts them before media starts): nothing unsealed leaves.
        if (keyring.epoch === undefined) return;
        frame.data = keyring.seal(bytes).slice().buffer;
        controller.enqueue(frame);
        return;
      }
      if (held.length > 0) retryHeld();
      open(options.feed ?? -1, frame, bytes, controller, true);
    },
  });
  void readable.pipeThrough(transform).pipeTo(writable);
};
