import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goertzel, sineWave } from './goertzel.js';
import { OPUS_FRAME_SAMPLES, OpusCodec } from './opus-codec.js';

test('a 440 Hz sine survives an Opus round trip, 960 samples a frame', () => {
  const codec = new OpusCodec();
  try {
    const input = sineWave(440, 1, 48_000);
    const decoded: Int16Array[] = [];
    for (let at = 0; at + OPUS_FRAME_SAMPLES <= input.length; at += OPUS_FRAME_SAMPLES) {
      const packet = codec.encode(input.subarray(at, at + OPUS_FRAME_SAMPLES));
      assert.ok(packet.length > 0 && packet.length < 400, `packet size ${packet.length}`);
      const frame = codec.decode(packet);
      assert.equal(frame.length, OPUS_FRAME_SAMPLES);
      decoded.push(frame);
    }
    assert.equal(decoded.length, 50);
    // Skip the codec's start-up (lookahead) frames, then check the tone is there and alone.
    const tail = new Int16Array((decoded.length - 5) * OPUS_FRAME_SAMPLES);
    decoded.slice(5).forEach((frame, i) => tail.set(frame, i * OPUS_FRAME_SAMPLES));
    assert.ok(goertzel(tail, 440, 48_000) > 0.8, `440 Hz share ${goertzel(tail, 440, 48_000)}`);
    assert.ok(goertzel(tail, 660, 48_000) < 0.05, `660 Hz share ${goertzel(tail, 660, 48_000)}`);
  } finally {
    codec.close();
  }
});

test('a malformed packet throws a clear Error and the codec keeps working', () => {
  const codec = new OpusCodec();
  try {
    for (const bad of [new Uint8Array([0x03, 0x00]), new Uint8Array(10).fill(0xff), new Uint8Array(0), new Uint8Array(5000)]) {
      assert.throws(() => codec.decode(bad), (error: unknown) => error instanceof Error && /^Opus decode: /.test(error.message));
    }
    const frame = codec.decode(codec.encode(new Int16Array(OPUS_FRAME_SAMPLES)));
    assert.equal(frame.length, OPUS_FRAME_SAMPLES);
    assert.throws(() => codec.encode(new Int16Array(100)), /960 samples/);
  } finally {
    codec.close();
    codec.close(); // idempotent: a double free would corrupt the wasm heap
  }
  assert.throws(() => codec.decode(new Uint8Array([0xf8])), /closed/);
});
