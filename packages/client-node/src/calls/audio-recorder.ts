/**
 * @module calls/audio-recorder
 * Records what the peer sends: Opus payloads from incoming RTP, decoded to 48 kHz mono PCM and
 * kept in memory (bounded) until `finish` writes them as a WAV file. Used by bots and tests to
 * check that audio really crossed the call.
 */
import type { OpusCodec } from './opus-codec.js';
import { CALL_SAMPLE_RATE, writeWav } from './wav.js';

/** Default cap on recorded audio; later audio is counted and dropped, never buffered. */
export const DEFAULT_MAX_RECORD_SECONDS = 10 * 60;

export interface AudioRecorderOptions {
  readonly maxSeconds?: number;
}

export class AudioRecorder {
  private readonly chunks: Int16Array[] = [];
  private readonly maxSamples: number;
  private samples = 0;
  private decoded = 0;
  private failed = 0;
  private dropped = 0;

  /** The codec stays the caller's (it is shared with the session's audio source). */
  constructor(private readonly codec: OpusCodec, options: AudioRecorderOptions = {}) {
    this.maxSamples = Math.max(0, Math.floor((options.maxSeconds ?? DEFAULT_MAX_RECORD_SECONDS) * CALL_SAMPLE_RATE));
  }

  /** Packets decoded and kept. */
  get packetsDecoded(): number {
    return this.decoded;
  }

  /** Packets that did not decode (malformed, or a peer sending garbage): skipped, not fatal. */
  get decodeErrors(): number {
    return this.failed;
  }

  /** Packets dropped because the recording reached its cap. */
  get packetsDropped(): number {
    return this.dropped;
  }

  /** Seconds of audio recorded so far. */
  get seconds(): number {
    return this.samples / CALL_SAMPLE_RATE;
  }

  /** Decodes one RTP payload and appends it; never throws. */
  push(opus: Uint8Array): void {
    if (this.samples >= this.maxSamples) {
      this.dropped++;
      return;
    }
    let pcm: Int16Array;
    try {
      pcm = this.codec.decode(opus);
    } catch {
      this.failed++;
      return;
    }
    const room = this.maxSamples - this.samples;
    const kept = pcm.length > room ? pcm.subarray(0, room) : pcm;
    this.chunks.push(kept);
    this.samples += kept.length;
    this.decoded++;
  }

  /** Everything recorded, as one buffer. */
  pcm(): Int16Array {
    const out = new Int16Array(this.samples);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** Writes the recording as a 48 kHz mono 16-bit WAV file (possibly empty). */
  async finish(path: string): Promise<void> {
    await writeWav(path, this.pcm(), CALL_SAMPLE_RATE);
  }
}
