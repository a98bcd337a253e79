/**
 * @module platform/group-call-worker
 * The group call's frame encryption in the browser: an RTCRtpScriptTransform worker. Every Opus
 * and VP8 frame the page sends is sealed here (SFrame, keys from the group's MLS exporter; a VP8
 * frame's first bytes stay in clear, authenticated, for the packetiser and the SFU: media-frame.ts)
 * before the browser packetises it, and every frame received is opened here before the browser's
 * decoder sees it; a frame that does not open is dropped (frames of the group's next epoch are
 * held for a second, until the page hands over that epoch's keys). The keyring is this worker's
 * own, built from the epoch keys the page posts; its send context is chosen here, per join.
 */
import {
  FeedSenders, GroupCallKeyring, GROUP_CALL_CONTEXT_BITS, HeldFrames, MAX_HELD_FRAMES, MAX_HELD_VIDEO_FRAMES, SFrameError,
  type GroupCallEpochKeys, type GroupCallMediaKind, type GroupCallMember,
} from '@sotto/core';

/** What the page posts: the live epochs' keys, newest first. */
export interface GroupCallWorkerKeys {
  readonly type: 'keys';
  readonly keys: readonly GroupCallEpochKeys[];
}

/** What the worker tells the page. */
export type GroupCallWorkerEvent =
  | { readonly type: 'heard'; readonly feed: number; readonly from: GroupCallMember }
  /** A feed's video frames open (`on`), or none opened for VIDEO_GONE_MS: its picture is shown only while they come. */
  | { readonly type: 'video'; readonly feed: number; readonly on: boolean }
  | { readonly type: 'refused'; readonly reason: string; readonly count: number };

export interface GroupCallTransformOptions {
  readonly side: 'send' | 'receive';
  readonly kind: GroupCallMediaKind;
  readonly feed?: number;
}

interface EncodedFrame {
  data: ArrayBuffer;
}

interface RtcTransformEvent extends Event {
  readonly transformer: { readonly readable: ReadableStream<EncodedFrame>; readonly writable: WritableStream<EncodedFrame>; readonly options: GroupCallTransformOptions };
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<GroupCallWorkerKeys>) => void) | null;
  onrtctransform: ((event: RtcTransformEvent) => void) | null;
  postMessage(message: GroupCallWorkerEvent): void;
}

const scope = self as unknown as WorkerScope;
const context = BigInt(crypto.getRandomValues(new Uint32Array(1))[0]! >>> (32 - GROUP_CALL_CONTEXT_BITS));
const keyring = new GroupCallKeyring(context, () => performance.now());
/** Each feed carries the sender whose frame first opened on it, no one else (the SFU routes; it must not relabel). */
const feedSenders = new FeedSenders();
/** A feed whose video frames stopped opening this long ago is shown as no picture (camera off, frames refused). */
const VIDEO_GONE_MS = 1_000;
const videoOpenedAt = new Map<number, number>();
interface Received {
  readonly feed: number;
  readonly kind: GroupCallMediaKind;
  readonly frame: EncodedFrame;
  readonly bytes: Uint8Array;
  readonly controller: TransformStreamDefaultController<EncodedFrame>;
}
/** Audio and video held apart: a burst of large video frames never pushes the voices out. */
const held = { audio: new HeldFrames<Received>(() => performance.now(), MAX_HELD_FRAMES), video: new HeldFrames<Received>(() => performance.now(), MAX_HELD_VIDEO_FRAMES) };

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

setInterval(() => {
  const now = performance.now();
  for (const [feed, at] of videoOpenedAt) {
    if (now - at <= VIDEO_GONE_MS) continue;
    videoOpenedAt.delete(feed);
    post({ type: 'video', feed, on: false });
  }
}, 250);

function refused(error: unknown): void {
  const reason = error instanceof SFrameError ? error.reason : 'BAD_INPUT';
  refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
}

function open(received: Received, mayHold: boolean): void {
  const { feed, kind, frame, bytes, controller } = received;
  try {
    const opened = keyring.open(bytes, kind);
    const sender = feedSenders.admit(feed, opened.from);
    if (sender === 'other') {
      refused(new SFrameError('UNKNOWN_KID', 'another participant\'s frame on this feed.'));
      return;
    }
    if (sender === 'first') post({ type: 'heard', feed, from: opened.from });
    if (kind === 'video') {
      if (!videoOpenedAt.has(feed)) post({ type: 'video', feed, on: true });
      videoOpenedAt.set(feed, performance.now());
    }
    frame.data = opened.plaintext.slice().buffer;
    controller.enqueue(frame);
  } catch (error) {
    if (mayHold && keyring.isAhead(bytes, kind) && held[kind].hold(received, keyring.epoch)) return;
    refused(error);
  }
}

scope.onrtctransform = (event) => {
  const { readable, writable, options } = event.transformer;
  const transform = new TransformStream<EncodedFrame, EncodedFrame>({
    transform(frame, controller) {
      const bytes = new Uint8Array(frame.data);
      if (options.side === 'send') {
        // No key yet (the page posts them before media starts): nothing unsealed leaves.
        if (keyring.epoch === undefined || bytes.length === 0) return;
        try {
          frame.data = keyring.seal(bytes, options.kind).slice().buffer;
        } catch {
          return; // no VP8 frame (too short to seal): dropped, never sent in clear
        }
        controller.enqueue(frame);
        return;
      }
      for (const due of held[options.kind].due(keyring.epoch)) open(due, false);
      open({ feed: options.feed ?? -1, kind: options.kind, frame, bytes, controller }, true);
    },
  });
  void readable.pipeThrough(transform).pipeTo(writable);
};
