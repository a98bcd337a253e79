/**
 * @module media/image-sandbox
 * The page's side of the image sandbox (`image-worker.ts`): every image the app shows or sends
 * goes through here. The page never decodes image bytes itself: it checks the header's size
 * (`checkImageDimensions`, fixed fields only, no decompression) and hands the bytes to the worker,
 * which answers with a fresh bitmap to draw into a `<canvas>`, or with re-encoded bytes.
 */
import { LIMITS } from '@sotto/protocol';
import { checkImageHeader } from './image-checks.js';
import type { ImageAnswer, ImageJob } from './image-worker.js';

/** The member's photo before sending: longest side, and JPEG quality. */
export const PHOTO_MAX_SIDE = 2560;
const PHOTO_QUALITY = 0.85;
const THUMBNAIL_SIDE = 160;
/** The viewer draws at most this many pixels a side (the screen is smaller still). */
const VIEWER_MAX_SIDE = 4096;

/** Why an image was not shown, in words for the member. */
export class ImageRefused extends Error {}

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, (answer: ImageAnswer) => void>();

function sandbox(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./image-worker.ts', import.meta.url), { type: 'module', name: 'image-sandbox' });
  worker.onmessage = (event: MessageEvent<ImageAnswer>) => {
    const resolve = waiting.get(event.data.id);
    waiting.delete(event.data.id);
    resolve?.(event.data);
  };
  worker.onerror = () => {
    // A crashed sandbox fails what it was doing; the next job starts a new one.
    for (const resolve of waiting.values()) resolve({ id: 0, ok: false, reason: 'undecodable' });
    waiting.clear();
    worker?.terminate();
    worker = undefined;
  };
  return worker;
}

type JobInput = ImageJob extends infer J ? (J extends ImageJob ? Omit<J, 'id'> : never) : never;

function run(job: JobInput): Promise<ImageAnswer> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    // A copy goes to the worker: the caller keeps its bytes (a thumbnail is drawn again on scroll).
    sandbox().postMessage({ ...job, id, bytes: job.bytes.slice() });
  });
}

const REFUSED_TEXT = {
  undecodable: 'This image could not be opened: it is damaged or not a whole image. Nothing of it was shown.',
  'too-large': 'This image is too large to open safely. Nothing of it was shown.',
  unsupported: 'This browser cannot show images safely here.',
} as const;

/** A bitmap of `bytes` drawn by the sandbox, at most `maxSide` a side; the header is checked first. */
export async function decodeInSandbox(bytes: Uint8Array, maxSide = VIEWER_MAX_SIDE, headerMaxSide?: number): Promise<ImageBitmap> {
  const verdict = checkImageHeader(bytes, headerMaxSide);
  if (!verdict.ok) throw new ImageRefused(`This image was not opened. ${verdict.reason}`);
  const answer = await run({ op: 'show', bytes, mediaType: verdict.mediaType, maxSide });
  if (!answer.ok) throw new ImageRefused(REFUSED_TEXT[answer.reason]);
  if (!('bitmap' in answer)) throw new ImageRefused(REFUSED_TEXT.undecodable);
  return answer.bitmap;
}

export interface ReencodedPhoto {
  readonly photo: Uint8Array;
  readonly thumbnail: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** The member's own photo, re-encoded in the sandbox: JPEG, metadata gone, with a thumbnail. */
export async function reencodePhoto(bytes: Uint8Array): Promise<ReencodedPhoto> {
  const verdict = checkImageHeader(bytes);
  if (!verdict.ok) throw new ImageRefused(`This photo cannot be re-encoded. ${verdict.reason}`);
  const answer = await run({
    op: 'reencode', bytes, mediaType: verdict.mediaType, maxSide: PHOTO_MAX_SIDE, quality: PHOTO_QUALITY,
    thumbnailSide: THUMBNAIL_SIDE, thumbnailMaxBytes: LIMITS.attachmentThumbnailMaxBytes,
  });
  if (!answer.ok) throw new ImageRefused(REFUSED_TEXT[answer.reason]);
  if (!('photo' in answer)) throw new ImageRefused(REFUSED_TEXT.undecodable);
  return answer;
}
