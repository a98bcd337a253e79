import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioRecorder } from './audio-recorder.js';
import { AudioSource } from './audio-source.js';
import { goertzel, sineWave } from './goertzel.js';
import { OpusCodec } from './opus-codec.js';

test('the source paces 20 ms Opus frames in real time and the recorder decodes them', async () => {
  const codec = new OpusCodec();
  try {
    const source = new AudioSource(sineWave(440, 0.1, 48_000), codec); // 5 frames, looped
    const recorder = new AudioRecorder(codec);
    const startedAt = performance.now();
    source.start((opus) => recorder.push(opus));
    await new Promise((resolve) => setTimeout(resolve, 400));
    source.stop();
    const elapsed = performance.now() - startedAt;
    const expected = Math.floor(elapsed / 20) + 1;
    assert.ok(Math.abs(source.framesSent - expected) <= 2, `${source.framesSent} frames in ${Math.round(elapsed)} ms`);
    const sent = source.framesSent;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(source.framesSent, sent, 'nothing after stop');
    assert.equal(recorder.packetsDecoded, sent);
    assert.ok(goertzel(recorder.pcm().subarray(4_800), 440, 48_000) > 0.8, 'the loop plays the tone throughout');
  } finally {
    codec.close();
  }
});

test('without a file the source sends silence', () => {
  const codec = new OpusCodec();
  try {
    const frames: Uint8Array[] = [];
    const source = new AudioSource(null, codec);
    source.start((opus) => frames.push(opus));
    source.stop();
    assert.equal(frames.length, 1, 'one frame is sent at once');
    const peak = codec.decode(frames[0]!).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert.ok(peak < 50, `silence decodes to near zero (peak ${peak})`);
  } finally {
    codec.close();
  }
});

test('the recorder skips and counts undecodable packets, and stops at its cap', () => {
  const codec = new OpusCodec();
  try {
    const recorder = new AudioRecorder(codec, { maxSeconds: 0.05 }); // 2400 samples: 2.5 frames
    const frame = codec.encode(sineWave(440, 0.02, 48_000));
    recorder.push(new Uint8Array([0x03, 0x00]));
    recorder.push(new Uint8Array(0));
    for (let i = 0; i < 4; i++) recorder.push(frame);
    assert.equal(recorder.decodeErrors, 2);
    assert.equal(recorder.packetsDecoded, 3, 'the third frame is cut at the cap');
    assert.equal(recorder.packetsDropped, 1);
    assert.equal(recorder.pcm().length, 2_400);
  } finally {
    codec.close();
  }
});
