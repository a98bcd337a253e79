/**
 * @module media/image-worker
 * The image sandbox: the only place the web app decodes image bytes. It runs as a dedicated
 * Worker, so a decoder bug meets a thread with no DOM, no engine and no keys. Every answer is a
 * fresh bitmap drawn here (pixels, never the received bytes) or bytes re-encoded here.
 *
 * Jobs:
 * - `show`: decode, scale to fit `maxSide`, redraw on an OffscreenCanvas and hand back a new
 *   ImageBitmap (transferred): the page only draws it into a `<canvas>`.
 * - `reencode`: the member's own photo before sending: a JPEG of at most `maxSide` pixels a side
 *   (metadata such as EXIF location does not survive a redraw) and a thumbnail JPEG of at most
 *   `thumbnailMaxBytes`, lowering quality, then size, until it fits.
 *
 * The page checks every header's dimensions before it sends bytes here (`checkImageDimensions`);
 * this worker checks the decoded size again, as a second line.
 */

export type ImageJob =
  | { readonly id: number; readonly op: 'show'; readonly bytes: Uint8Array; readonly mediaType: string; readonly maxSide: number }
  | {
    readonly id: number; readonly op: 'reencode'; readonly bytes: Uint8Array; readonly mediaType: string;
    readonly maxSide: number; readonly quality: number; readonly thumbnailSide: number; readonly thumbnailMaxBytes: number;
  };

export type ImageAnswer =
  | { readonly id: number; readonly ok: true; readonly bitmap: ImageBitmap }
  | { readonly id: number; readonly ok: true; readonly photo: Uint8Array; readonly thumbnail: Uint8Array; readonly width: number; readonly height: number }
  | { readonly id: number; readonly ok: false; readonly reason: 'undecodable' | 'too-large' | 'unsupported' };

/** The same bound as the page's header check (`IMAGE_MAX_PIXELS`): a decoder that disagrees with its header stops here. */
const MAX_DECODED_PIXELS = 50_000_000;

interface WorkerScope {
  onmessage: ((event: MessageEvent<ImageJob>) => void) | null;
  postMessage(message: ImageAnswer, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

class JobError extends Error {
  constructor(readonly reason: 'undecodable' | 'too-large' | 'unsupported') {
    super(reason);
  }
}

async function decode(bytes: Uint8Array, mediaType: string): Promise<ImageBitmap> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: mediaType }), { imageOrientation: 'from-image' });
  } catch {
    throw new JobError('undecodable');
  }
  if (bitmap.width * bitmap.height > MAX_DECODED_PIXELS) {
    bitmap.close();
    throw new JobError('too-large');
  }
  return bitmap;
}

function fit(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** `source` redrawn at `size` on a white ground (JPEG has no transparency). */
function redraw(source: ImageBitmap, size: { width: number; height: number }, opaque: boolean): OffscreenCanvas {
  const canvas = new OffscreenCanvas(size.width, size.height);
  const context = canvas.getContext('2d');
  if (!context) throw new JobError('unsupported');
  if (opaque) {
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, size.width, size.height);
  }
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, size.width, size.height);
  return canvas;
}

async function jpeg(canvas: OffscreenCanvas, quality: number): Promise<Uint8Array> {
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
  return new Uint8Array(await blob.arrayBuffer());
}

async function show(job: Extract<ImageJob, { op: 'show' }>): Promise<ImageAnswer> {
  const decoded = await decode(job.bytes, job.mediaType);
  try {
    const bitmap = redraw(decoded, fit(decoded.width, decoded.height, job.maxSide), false).transferToImageBitmap();
    return { id: job.id, ok: true, bitmap };
  } finally {
    decoded.close();
  }
}

async function reencode(job: Extract<ImageJob, { op: 'reencode' }>): Promise<ImageAnswer> {
  const decoded = await decode(job.bytes, job.mediaType);
  try {
    const size = fit(decoded.width, decoded.height, job.maxSide);
    const photo = await jpeg(redraw(decoded, size, true), job.quality);
    let thumbnail: Uint8Array | undefined;
    // Quality first, then size: a thumbnail that cannot fit is left out rather than sent over the limit.
    for (let side = job.thumbnailSide; side >= 40 && thumbnail === undefined; side = Math.floor(side * 0.75)) {
      const canvas = redraw(decoded, fit(decoded.width, decoded.height, side), true);
      for (const quality of [0.7, 0.55, 0.4, 0.3]) {
        const candidate = await jpeg(canvas, quality);
        if (candidate.byteLength <= job.thumbnailMaxBytes) {
          thumbnail = candidate;
          break;
        }
      }
    }
    return { id: job.id, ok: true, photo, thumbnail: thumbnail ?? new Uint8Array(0), width: size.width, height: size.height };
  } finally {
    decoded.close();
  }
}

scope.onmessage = (event) => {
  const job = event.data;
  const run = job.op === 'show' ? show(job) : reencode(job);
  run.then(
    (answer) => scope.postMessage(answer, 'bitmap' in answer ? [answer.bitmap] : 'photo' in answer ? [answer.photo.buffer, answer.thumbnail.buffer] : []),
    (error: unknown) => scope.postMessage({ id: job.id, ok: false, reason: error instanceof JobError ? error.reason : 'undecodable' }),
  );
};
