import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WAVEFORM_MAX_BARS, voiceNoteShape } from './waveform.js';
import { ClientError } from '../errors.js';

test('a second of a rising ramp at 8 kHz: 64 bars rising to full scale, 1,000 ms', () => {
  const samples = Float32Array.from({ length: 8000 }, (_, i) => (i + 1) / 8000);
  const { waveform, durationMs } = voiceNoteShape({ samples, sampleRate: 8000 });
  assert.equal(durationMs, 1000);
  assert.equal(waveform.length, WAVEFORM_MAX_BARS);
  assert.equal(waveform[63], 255);
  assert.equal(waveform[0], Math.round((125 / 8000) * 255)); // the first bar's loudest is its last sample, 125
  for (let i = 1; i < 64; i++) assert.ok(waveform[i]! >= waveform[i - 1]!);
});

test('16-bit samples: full scale either way is 255, silence 0, half scale about 128', () => {
  const samples = Int16Array.from([0, 0, 16384, -16384, -32768, 32767]);
  assert.deepEqual([...voiceNoteShape({ samples, sampleRate: 48000 }).waveform], [0, 0, 128, 128, 255, 255]);
});

test('fewer frames than bars: one bar per frame', () => {
  const r = voiceNoteShape({ samples: Float32Array.from([0.5, -1, 0]), sampleRate: 48000 });
  assert.deepEqual([...r.waveform], [128, 255, 0]);
  assert.equal(r.durationMs, 0);
});

test('an empty recording has no bars and no duration', () => {
  assert.deepEqual(voiceNoteShape({ samples: new Float32Array(0), sampleRate: 48000 }), { waveform: new Uint8Array(0), durationMs: 0 });
});

test('interleaved stereo: a bar is the loudest of both channels; duration counts frames, not samples', () => {
  const samples = new Float32Array(2 * 48000); // 1 s of stereo
  samples[1] = 1; // right channel, first frame
  const r = voiceNoteShape({ samples, sampleRate: 48000, channels: 2 });
  assert.equal(r.durationMs, 1000);
  assert.equal(r.waveform[0], 255);
  assert.equal(r.waveform[1], 0);
});

test('NaN is silence, and beyond full scale is full scale', () => {
  assert.deepEqual([...voiceNoteShape({ samples: Float32Array.from([Number.NaN, 7, -Infinity]), sampleRate: 1 }).waveform], [0, 255, 255]);
});

test('bad input is refused with a clear error', () => {
  const samples = new Float32Array(4);
  const refused = (audio: Parameters<typeof voiceNoteShape>[0], message: RegExp) =>
    assert.throws(() => voiceNoteShape(audio), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT' && message.test(e.message));
  refused({ samples, sampleRate: 0 }, /sample rate/);
  refused({ samples, sampleRate: 44100.5 }, /sample rate/);
  refused({ samples, sampleRate: 1_000_000 }, /sample rate/);
  refused({ samples, sampleRate: 8000, channels: 0 }, /1 to 8 channels/);
  refused({ samples, sampleRate: 8000, channels: 9 }, /1 to 8 channels/);
  refused({ samples, sampleRate: 8000, channels: 3 }, /divide evenly/);
  refused({ samples: [0.1] as unknown as Float32Array, sampleRate: 8000 }, /Float32Array or an Int16Array/);
});

test('property: at most 64 bars, as many as frames when fewer, each 0-255; duration from frames and rate', () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ noDefaultInfinity: false }), { maxLength: 500 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 384_000 }),
      (values, channels, sampleRate) => {
        const samples = Float32Array.from(values.slice(0, values.length - (values.length % channels)));
        const frames = samples.length / channels;
        const r = voiceNoteShape({ samples, sampleRate, channels });
        assert.equal(r.waveform.length, Math.min(64, frames));
        assert.equal(r.durationMs, Math.round((frames * 1000) / sampleRate));
        // The loudest bar is the loudest sample.
        const loudest = Math.round(Math.min(1, Math.max(0, ...[...samples].map((s) => (Number.isNaN(s) ? 0 : Math.abs(s))))) * 255);
        assert.equal(Math.max(0, ...r.waveform), frames === 0 ? 0 : loudest);
      },
    ),
    { numRuns: 500 },
  );
});
