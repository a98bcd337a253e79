/**
 * @module calls/group/group-audio-mixer
 * What a CLI participant of a group call hears, as one recording: each sender's Opus frames
 * decoded by a decoder of its own (Opus keeps state per stream), laid on a shared timeline from
 * the moment its first frame arrived, and summed. Bounded like the 1:1 recorder: at most
 * `maxSeconds` of timeline and 32 senders; frames past either are counted and dropped.
 */
import { OpusCodec, OPUS_FRAME_SAMPLES } from '../opus-codec.js';
import { CALL_SAMPLE_RATE, writeWav } from '../wav.js';
import { DEFAULT_MAX_RECORD_SECONDS } from '../audio-recorder.js';

const MAX_SENDERS = 32;

interface SenderTrack {
  readonly codec: OpusCodec;
  /** Where on the timeline this sender's next samples go. */
  position: number;
  readonly chunks: { readonly at: number; readonly pcm: Int16Array }[];
}

export class GroupAudioMixer {
  private readonly senders = new Map<string, SenderTrack>();
  private readonly startedAt = performance.now();
  private readonly maxSamples: number;
  private decoded = 0;
  private failed = 0;
  private dropped = 0;

  constructor(options: { readonly maxSeconds?: number } = {}) {
    this.maxSamples = Math.floor((options.maxSeconds ?? DEFAULT_MAX_RECORD_SECONDS) * CALL_SAMPLE_RATE);
  }

  get packetsDecoded(): number {
    return this.decoded;
  }

  get decodeErrors(): number {
    return this.failed;
  }

  get packetsDropped(): number {
    return this.dropped;
  }

  /** Decodes one of `sender`'s Opus frames onto the timeline; never throws. */
  push(sender: string, opus: Uint8Array): void {
    let track = this.senders.get(sender);
    if (!track) {
      if (this.senders.size >= MAX_SENDERS) {
        this.dropped++;
        return;
      }
      const now = Math.floor(((performance.now() - this.startedAt) / 1000) * CALL_SAMPLE_RATE);
      track = { codec: new OpusCodec(), position: now, chunks: [] };
      this.senders.set(sender, track);
    }
    if (track.position + OPUS_FRAME_SAMPLES > this.maxSamples) {
      this.dropped++;
      return;
    }
    try {
      const pcm = track.codec.decode(opus);
      track.chunks.push({ at: track.position, pcm });
      track.position += pcm.length;
      this.decoded++;
    } catch {
      this.failed++;
    }
  }

  /** Everything heard, every sender summed (clipped to 16 bits). */
  pcm(): Int16Array {
    let length = 0;
    for (const track of this.senders.values()) length = Math.max(length, track.position);
    const sum = new Int32Array(Math.min(length, this.maxSamples));
    for (const track of this.senders.values()) {
      for (const { at, pcm } of track.chunks) {
        for (let i = 0; i < pcm.length && at + i < sum.length; i++) sum[at + i]! += pcm[i]!;
      }
    }
    return Int16Array.from(sum, (v) => Math.max(-32768, Math.min(32767, v)));
  }

  async finish(path: string): Promise<void> {
    await writeWav(path, this.pcm(), CALL_SAMPLE_RATE);
  }

  close(): void {
    for (const track of this.senders.values()) track.codec.close();
  }
}
