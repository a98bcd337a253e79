/**
 * @module attachments/waveform
 * A voice note's duration and small waveform, computed by the sender from the recorded PCM so the
 * receiver can draw the note without decoding any audio: at most 64 bars, each the loudest
 * sample of its stretch of time on a 0-255 scale.
 */
import { LIMITS } from '@sotto/protocol';
import { ClientError } from '../errors.js';

export const WAVEFORM_MAX_BARS = LIMITS.voiceNoteWaveformMaxSamples;
const MAX_SAMPLE_RATE = 384_000;
const MAX_CHANNELS = 8;

export interface PcmAudio {
  /** Interleaved samples: floats in [-1, 1] (Web Audio) or signed 16-bit integers (WAV). */
  readonly samples: Float32Array | Int16Array;
  readonly sampleRate: number;
  /** Interleaved channels; 1 unless said. */
  readonly channels?: number;
}

export interface VoiceNoteShape {
  /** Up to 64 amplitudes, 0-255 (fewer for a note shorter than 64 frames). */
  readonly waveform: Uint8Array;
  readonly durationMs: number;
}

/** A sample's loudness in [0, 1]: NaN counts as silence, anything past full scale as full scale. */
function level(samples: Float32Array | Int16Array, index: number): number {
  const value = samples[index]!;
  const scaled = samples instanceof Int16Array ? value / 32768 : value;
  const magnitude = Math.abs(scaled);
  return Number.isNaN(magnitude) ? 0 : Math.min(1, magnitude);
}

export function voiceNoteShape(audio: PcmAudio): VoiceNoteShape {
  const { samples, sampleRate } = audio;
  const channels = audio.channels ?? 1;
  if (!(samples instanceof Float32Array) && !(samples instanceof Int16Array)) {
    throw new ClientError('INVALID_INPUT', 'Voice note samples must be a Float32Array or an Int16Array.');
  }
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > MAX_SAMPLE_RATE) {
    throw new ClientError('INVALID_INPUT', `A sample rate must be a whole number of hertz from 1 to ${MAX_SAMPLE_RATE}.`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw new ClientError('INVALID_INPUT', `A recording must have 1 to ${MAX_CHANNELS} channels.`);
  }
  if (samples.length % channels !== 0) {
    throw new ClientError('INVALID_INPUT', 'The samples do not divide evenly into the channels.');
  }
  const frames = samples.length / channels;
  const bars = Math.min(WAVEFORM_MAX_BARS, frames);
  const waveform = new Uint8Array(bars);
  for (let bar = 0; bar < bars; bar++) {
    // Each bar covers frames [start, end): the stretches differ by at most one frame.
    const start = Math.floor((bar * frames) / bars);
    const end = Math.floor(((bar + 1) * frames) / bars);
    let peak = 0;
    for (let i = start * channels; i < end * channels; i++) peak = Math.max(peak, level(samples, i));
    waveform[bar] = Math.round(peak * 255);
  }
  return { waveform, durationMs: Math.round((frames * 1000) / sampleRate) };
}
