/**
 * @module attachments/wav
 * Reads the samples of a WAV file (16-bit integer or 32-bit float PCM), so the CLI can take a WAV
 * as a voice note's input: for its duration and waveform (`waveform.ts`), and for an Opus encoder.
 * Only the RIFF chunk headers and the format fields are read, every length checked against the
 * bytes there are; a sender's own file, but still refused cleanly when malformed.
 */
import { ClientError } from '../errors.js';
import type { PcmAudio } from './waveform.js';

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

const refuse = (why: string) => new ClientError('INVALID_INPUT', `This WAV file cannot be read: ${why}.`);

function fourCC(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

interface WavFormat {
  readonly format: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly blockAlign: number;
}

function readFormat(view: DataView, at: number, size: number): WavFormat {
  if (size < 16) throw refuse('its format chunk is too short');
  let format = view.getUint16(at, true);
  if (format === FORMAT_EXTENSIBLE) {
    // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
    if (size < 40) throw refuse('its extensible format chunk is too short');
    format = view.getUint16(at + 24, true);
  }
  return {
    format,
    channels: view.getUint16(at + 2, true),
    sampleRate: view.getUint32(at + 4, true),
    blockAlign: view.getUint16(at + 12, true),
    bitsPerSample: view.getUint16(at + 14, true),
  };
}

export function readWavPcm(bytes: Uint8Array): PcmAudio {
  if (!(bytes instanceof Uint8Array)) throw refuse('it is not bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || fourCC(view, 0) !== 'RIFF' || fourCC(view, 8) !== 'WAVE') throw refuse('it is not a RIFF WAVE file');
  let format: WavFormat | undefined;
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = fourCC(view, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + size > bytes.byteLength) throw refuse('its format chunk is cut short');
      format = readFormat(view, body, size);
    } else if (id === 'data') {
      if (format === undefined) throw refuse('its samples come before their format');
      // Streaming writers leave the size at its maximum: take the whole samples that are there.
      return samples(bytes, body, Math.min(size, bytes.byteLength - body), format);
    }
    at = body + size + (size % 2); // chunks are padded to an even length
  }
  throw refuse(format === undefined ? 'it has no format chunk' : 'it has no samples');
}

function samples(bytes: Uint8Array, at: number, length: number, f: WavFormat): PcmAudio {
  if (f.channels < 1 || f.channels > 8) throw refuse(`it has ${f.channels} channels (1 to 8 can be read)`);
  if (f.sampleRate < 1 || f.sampleRate > 384_000) throw refuse(`its sample rate, ${f.sampleRate} Hz, is out of range`);
  const int16 = f.format === FORMAT_PCM && f.bitsPerSample === 16;
  const float32 = f.format === FORMAT_FLOAT && f.bitsPerSample === 32;
  if (!int16 && !float32) throw refuse(`its samples are format ${f.format} at ${f.bitsPerSample} bits (16-bit integer or 32-bit float PCM can be read)`);
  const width = f.bitsPerSample / 8;
  if (f.blockAlign !== width * f.channels) throw refuse('its block size does not match its channels and sample size');
  const frames = Math.floor(length / f.blockAlign);
  const count = frames * f.channels;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * width);
  // Copied through a DataView: the samples may sit at an odd offset, and WAV is little-endian everywhere.
  if (int16) {
    const out = new Int16Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
    return { samples: out, sampleRate: f.sampleRate, channels: f.channels };
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return { samples: out, sampleRate: f.sampleRate, channels: f.channels };
}
