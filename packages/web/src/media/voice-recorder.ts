/**
 * @module media/voice-recorder
 * Records a voice note from the microphone, only once the member asked: getUserMedia is called by
 * `VoiceRecorder.start`, never before. The track's audio frames (MediaStreamTrackProcessor) are
 * mixed to mono and encoded with WebCodecs' Opus `AudioEncoder`; the packets go into an Ogg Opus
 * file (`oggOpusFile`, the one voice-note container Sotto plays), and a peak envelope of the PCM
 * (100 a second) gives the waveform (`voiceNoteShape`) so a receiver draws the note without
 * decoding any audio.
 */
import { oggOpusFile, voiceNoteShape } from '@sotto/core';
import { LIMITS } from '@sotto/protocol';

/** Chromium's MediaStreamTrackProcessor (not yet in TypeScript's DOM types). */
interface TrackProcessor {
  readonly readable: ReadableStream<AudioData>;
}
type TrackProcessorConstructor = new (init: { track: MediaStreamTrack }) => TrackProcessor;
const TrackProcessorClass = (globalThis as unknown as { MediaStreamTrackProcessor?: TrackProcessorConstructor }).MediaStreamTrackProcessor;

const OPUS_RATE = 48_000;
/** 20 ms frames: 960 samples at Opus's 48 kHz. */
const PACKET_SAMPLES = 960;
/** libopus's usual look-ahead, if the encoder does not say. */
const DEFAULT_PRE_SKIP = 312;
const ENVELOPE_RATE = 100;

export interface VoiceNote {
  readonly bytes: Uint8Array;
  readonly durationMs: number;
  readonly waveform: Uint8Array;
}

/** Whether this browser can record a voice note (WebCodecs Opus and a track processor). */
export async function voiceNotesSupported(): Promise<boolean> {
  if (typeof AudioEncoder === 'undefined' || TrackProcessorClass === undefined || !navigator.mediaDevices) return false;
  try {
    const { supported } = await AudioEncoder.isConfigSupported({ codec: 'opus', sampleRate: OPUS_RATE, numberOfChannels: 1 });
    return supported === true;
  } catch {
    return false;
  }
}

/** The encoder's OpusHead (its decoder config), if it gave one: where its pre-skip is. */
function preSkipOf(description: AllowSharedBufferSource | undefined): number | undefined {
  if (!description) return undefined;
  const bytes = ArrayBuffer.isView(description) ? new Uint8Array(description.buffer, description.byteOffset, description.byteLength) : new Uint8Array(description);
  const magic = 'OpusHead';
  if (bytes.byteLength < 12 || [...magic].some((c, i) => bytes[i] !== c.charCodeAt(0))) return undefined;
  return bytes[10]! | (bytes[11]! << 8);
}

export class VoiceRecorder {
  private readonly packets: Uint8Array[] = [];
  private readonly envelope: number[] = [];
  private encoder: AudioEncoder | undefined;
  private sampleRate = 0;
  private frames = 0;
  private blockPeak = 0;
  private blockFill = 0;
  private preSkip = DEFAULT_PRE_SKIP;
  private failure: unknown;
  private readonly pump: Promise<void>;

  private constructor(
    private readonly stream: MediaStream,
    private readonly reader: ReadableStreamDefaultReader<AudioData>,
  ) {
    this.pump = this.run();
  }

  /** Asks for the microphone (the browser may ask the member) and starts recording. */
  static async start(): Promise<VoiceRecorder> {
    if (TrackProcessorClass === undefined) throw new Error('no track processor');
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    const track = stream.getAudioTracks()[0];
    if (!track) {
      stream.getTracks().forEach((t) => t.stop());
      throw new Error('no microphone track');
    }
    return new VoiceRecorder(stream, new TrackProcessorClass({ track }).readable.getReader());
  }

  /** Milliseconds recorded so far. */
  get recordedMs(): number {
    return this.sampleRate === 0 ? 0 : Math.floor((this.frames * 1000) / this.sampleRate);
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (done) return;
        try {
          this.take(value);
        } finally {
          value.close();
        }
        if (this.recordedMs >= LIMITS.voiceNoteMaxMs) return;
      }
    } catch (error) {
      this.failure = error;
    }
  }

  private encoderFor(sampleRate: number): AudioEncoder {
    if (this.encoder) return this.encoder;
    this.sampleRate = sampleRate;
    const encoder = new AudioEncoder({
      output: (chunk, metadata) => {
        const bytes = new Uint8Array(chunk.byteLength);
        chunk.copyTo(bytes);
        this.packets.push(bytes);
        this.preSkip = preSkipOf(metadata?.decoderConfig?.description) ?? this.preSkip;
      },
      error: (error) => {
        this.failure = error;
      },
    });
    // The input's own rate: the Opus encoder resamples to 48 kHz itself.
    encoder.configure({ codec: 'opus', sampleRate, numberOfChannels: 1, bitrate: 32_000, opus: { frameDuration: 20_000 } } as AudioEncoderConfig);
    this.encoder = encoder;
    return encoder;
  }

  /** One frame of the microphone: mixed to mono, encoded, and folded into the envelope. */
  private take(data: AudioData): void {
    const frames = data.numberOfFrames;
    const channels = data.numberOfChannels;
    const mono = new Float32Array(frames);
    const plane = new Float32Array(frames);
    for (let channel = 0; channel < channels; channel++) {
      data.copyTo(plane, { planeIndex: channel, format: 'f32-planar' });
      for (let i = 0; i < frames; i++) mono[i]! += plane[i]! / channels;
    }
    const encoder = this.encoderFor(data.sampleRate);
    if (data.sampleRate !== this.sampleRate) return; // a track that changes rate mid-note: the rest is dropped
    const frame = new AudioData({ format: 'f32-planar', sampleRate: this.sampleRate, numberOfFrames: frames, numberOfChannels: 1, timestamp: data.timestamp, data: mono });
    encoder.encode(frame);
    frame.close();
    const block = Math.round(this.sampleRate / ENVELOPE_RATE);
    for (const sample of mono) {
      this.blockPeak = Math.max(this.blockPeak, Math.abs(sample));
      if (++this.blockFill === block) {
        this.envelope.push(this.blockPeak);
        this.blockPeak = 0;
        this.blockFill = 0;
      }
    }
    this.frames += frames;
  }

  private release(): void {
    this.stream.getTracks().forEach((track) => track.stop());
  }

  /** Stops and returns the note: Ogg Opus bytes, its duration and waveform. */
  async stop(): Promise<VoiceNote> {
    await this.reader.cancel().catch(() => undefined);
    this.release();
    await this.pump;
    const encoder = this.encoder;
    if (encoder && encoder.state === 'configured') await encoder.flush();
    encoder?.close();
    if (this.failure !== undefined) throw this.failure instanceof Error ? this.failure : new Error('recording failed');
    if (this.packets.length === 0 || this.frames === 0) throw new Error('nothing was recorded');
    if (this.blockFill > 0) this.envelope.push(this.blockPeak);
    const { waveform } = voiceNoteShape({ samples: Float32Array.from(this.envelope), sampleRate: ENVELOPE_RATE });
    const bytes = oggOpusFile(this.packets, {
      channels: 1, inputSampleRate: this.sampleRate, preSkip: this.preSkip, packetSamples: PACKET_SAMPLES,
      serial: crypto.getRandomValues(new Uint32Array(1))[0]!,
    });
    return { bytes, durationMs: Math.max(1, Math.round((this.frames * 1000) / this.sampleRate)), waveform };
  }

  /** Stops and keeps nothing. */
  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
    this.release();
    await this.pump;
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
  }
}
