import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readWavPcm } from './wav.js';
import { voiceNoteShape } from './waveform.js';
import { ClientError } from '../errors.js';
import { concatBytes } from '../bytes.js';

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const le16 = (n: number) => Uint8Array.from([n & 0xff, (n >> 8) & 0xff]);
const le32 = (n: number) => Uint8Array.from([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);

function chunk(id: string, body: Uint8Array): Uint8Array {
  return concatBytes(ascii(id), le32(body.byteLength), body, body.byteLength % 2 === 1 ? new Uint8Array(1) : new Uint8Array(0));
}

function fmt(format: number, channels: number, rate: number, bits: number, blockAlign = (channels * bits) / 8): Uint8Array {
  return chunk('fmt ', concatBytes(le16(format), le16(channels), le32(rate), le32(rate * blockAlign), le16(blockAlign), le16(bits)));
}

function wav(...chunks: Uint8Array[]): Uint8Array {
  const body = concatBytes(ascii('WAVE'), ...chunks);
  return concatBytes(ascii('RIFF'), le32(body.byteLength), body);
}

const int16Data = (values: number[]) => chunk('data', concatBytes(...values.map((v) => le16(v & 0xffff))));
const refused = (bytes: Uint8Array, why: RegExp) =>
  assert.throws(() => readWavPcm(bytes), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT' && /^This WAV file cannot be read: /.test(e.message) && why.test(e.message));

test('16-bit mono PCM: samples, rate and channels', () => {
  const audio = readWavPcm(wav(fmt(1, 1, 8000, 16), int16Data([0, 1000, -1000, 32767, -32768])));
  assert.deepEqual(audio, { samples: Int16Array.from([0, 1000, -1000, 32767, -32768]), sampleRate: 8000, channels: 1 });
});

test('32-bit float stereo, after an unknown chunk with an odd length (padded)', () => {
  const floats = new Float32Array([0.5, -0.25, 1, 0]);
  const data = chunk('data', new Uint8Array(floats.buffer));
  const audio = readWavPcm(wav(fmt(3, 2, 48000, 32), chunk('LIST', ascii('odd')), data));
  assert.deepEqual(audio, { samples: floats, sampleRate: 48000, channels: 2 });
});

test('WAVE_FORMAT_EXTENSIBLE takes its real format from the sub-format', () => {
  const ext = chunk('fmt ', concatBytes(le16(0xfffe), le16(1), le32(16000), le32(32000), le16(2), le16(16), le16(22), le16(16), le32(4), le16(1), new Uint8Array(14)));
  assert.deepEqual(readWavPcm(wav(ext, int16Data([5, 6]))).samples, Int16Array.from([5, 6]));
});

test('a streaming writer\'s oversized data length takes the whole frames there are', () => {
  const data = concatBytes(ascii('data'), le32(0xffffffff), le16(7), le16(8), new Uint8Array([9]));
  assert.deepEqual(readWavPcm(wav(fmt(1, 1, 8000, 16), data)).samples, Int16Array.from([7, 8]));
});

test('feeds the waveform: one second at 8 kHz is 1,000 ms', () => {
  const values = Array.from({ length: 8000 }, (_, i) => (i % 2 === 0 ? 16384 : -16384));
  const shape = voiceNoteShape(readWavPcm(wav(fmt(1, 1, 8000, 16), int16Data(values))));
  assert.equal(shape.durationMs, 1000);
  assert.deepEqual([...new Set(shape.waveform)], [128]);
});

test('malformed or unsupported files are refused, each with its reason', () => {
  refused(new Uint8Array(0), /not a RIFF WAVE file/);
  refused(concatBytes(ascii('RIFF'), le32(4), ascii('AVI ')), /not a RIFF WAVE file/);
  refused(wav(), /no format chunk/);
  refused(wav(fmt(1, 1, 8000, 16)), /no samples/);
  refused(wav(int16Data([1]), fmt(1, 1, 8000, 16)), /samples come before their format/);
  refused(wav(chunk('fmt ', new Uint8Array(10))), /format chunk is too short/);
  refused(wav(chunk('fmt ', concatBytes(le16(0xfffe), new Uint8Array(16)))), /extensible format chunk is too short/);
  refused(concatBytes(ascii('RIFF'), le32(30), ascii('WAVE'), ascii('fmt '), le32(16), new Uint8Array(4)), /format chunk is cut short/);
  refused(wav(fmt(1, 1, 8000, 8), int16Data([1])), /format 1 at 8 bits/);
  refused(wav(fmt(1, 1, 8000, 24), int16Data([1])), /format 1 at 24 bits/);
  refused(wav(fmt(6, 1, 8000, 16), int16Data([1])), /format 6 at 16 bits/); // A-law
  refused(wav(fmt(1, 0, 8000, 16), int16Data([1])), /0 channels/);
  refused(wav(fmt(1, 9, 8000, 16), int16Data([1])), /9 channels/);
  refused(wav(fmt(1, 1, 0, 16), int16Data([1])), /sample rate, 0 Hz/);
  refused(wav(fmt(1, 2, 8000, 16, 2), int16Data([1])), /block size does not match/);
  refused('RIFF' as unknown as Uint8Array, /not bytes/);
});

test('property: any bytes after a WAVE header are read or refused with a ClientError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (tail, withFmt) => {
      const bytes = withFmt ? wav(fmt(1, 1, 8000, 16), tail) : wav(tail);
      try {
        const audio = readWavPcm(bytes);
        assert.ok(audio.samples.length % (audio.channels ?? 1) === 0);
      } catch (error) {
        assert.ok(error instanceof ClientError && error.code === 'INVALID_INPUT', String(error));
      }
    }),
    { numRuns: 2000 },
  );
});
