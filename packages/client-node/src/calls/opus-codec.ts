/**
 * @module calls/opus-codec
 * A thin wrapper around opusscript (libopus compiled to wasm): 48 kHz mono, VOIP tuning,
 * 20 ms frames. It hides opusscript's byte-buffer calling convention behind Int16Array and
 * turns every bad input into an Error, so a peer's packet can never take the process down.
 */
import OpusScript from 'opusscript';
import { CALL_SAMPLE_RATE } from './wav.js';

/** 20 ms at 48 kHz: the frame size used for every packet we send. */
export const OPUS_FRAME_SAMPLES = 960;
/** opusscript copies a packet into a fixed wasm buffer of this size; larger ones cannot be decoded. */
export const MAX_OPUS_PACKET_BYTES = OpusScript.MAX_PACKET_SIZE;

export class OpusCodec {
  private readonly opus = new OpusScript(CALL_SAMPLE_RATE, 1, OpusScript.Application.VOIP);
  private closed = false;

  /** Encodes exactly one 20 ms frame (960 samples) into one Opus packet. */
  encode(frame: Int16Array): Uint8Array {
    this.assertOpen();
    if (frame.length !== OPUS_FRAME_SAMPLES) throw new Error(`Opus encode: a frame has ${OPUS_FRAME_SAMPLES} samples, got ${frame.length}`);
    // opusscript takes the PCM as little-endian bytes (a Buffer), not as samples.
    const packet = this.opus.encode(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), OPUS_FRAME_SAMPLES);
    return new Uint8Array(packet);
  }

  /** Decodes one packet to mono PCM (960 samples for our 20 ms packets). Throws on a malformed packet. */
  decode(packet: Uint8Array): Int16Array {
    this.assertOpen();
    // An empty packet means "lost" to libopus, which would invent audio (concealment), not fail.
    if (packet.length === 0) throw new Error('Opus decode: empty packet');
    if (packet.length > MAX_OPUS_PACKET_BYTES) throw new Error(`Opus decode: packet of ${packet.length} bytes exceeds ${MAX_OPUS_PACKET_BYTES}`);
    let pcm: Buffer;
    try {
      pcm = this.opus.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
    } catch (error) {
      throw new Error(`Opus decode: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Copy into a fresh, aligned buffer: the Buffer may sit at an odd offset of a shared pool.
    const samples = new Int16Array(pcm.length >> 1);
    new Uint8Array(samples.buffer).set(pcm.subarray(0, samples.byteLength));
    return samples;
  }

  /** Frees the wasm encoder and decoder; idempotent (freeing twice would corrupt the wasm heap). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opus.delete();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('Opus codec is closed');
  }
}
