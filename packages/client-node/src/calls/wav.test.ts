import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { goertzel, sineWave } from './goertzel.js';
import { MAX_WAV_BYTES, readWav, writeWav } from './wav.js';

function withTempDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sotto-wav-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('writeWav then readWav gives the same 48 kHz mono samples, in a private file', withTempDir(async (dir) => {
  const path = join(dir, 'tone.wav');
  const pcm = sineWave(440, 0.5, 48_000);
  await writeWav(path, pcm);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(await readWav(path), pcm);
}));

test('a 44.1 kHz stereo file comes back as 48 kHz mono of the same duration', withTempDir(async (dir) => {
  const path = join(dir, 'stereo.wav');
  const left = sineWave(440, 1, 44_100, 0.4);
  const right = sineWave(440, 1, 44_100, 0.2);
  const wav = new wavefile.WaveFile();
  wav.fromScratch(2, 44_100, '16', [left, right]);
  writeFileSync(path, wav.toBuffer());
  const pcm = await readWav(path);
  assert.ok(Math.abs(pcm.length - 48_000) <= 480, `length ${pcm.length}`);
  assert.ok(goertzel(pcm, 440, 48_000) > 0.9, 'still a 440 Hz tone');
  // Averaged channels: amplitude (0.4 + 0.2) / 2 = 0.3 of full scale.
  const peak = pcm.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  assert.ok(Math.abs(peak - 0.3 * 32767) < 0.02 * 32767, `peak ${peak}`);
}));

test('8-bit and 32-bit float files are converted to 16-bit', withTempDir(async (dir) => {
  const tone = sineWave(440, 0.25, 48_000);
  for (const depth of ['8', '32f']) {
    const path = join(dir, `tone-${depth}.wav`);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 48_000, '16', tone);
    wav.toBitDepth(depth);
    writeFileSync(path, wav.toBuffer());
    const pcm = await readWav(path);
    assert.equal(pcm.length, tone.length, depth);
    assert.ok(goertzel(pcm, 440, 48_000) > 0.9, depth);
  }
}));

test('non-WAV, missing and oversized files are refused with clear errors', withTempDir(async (dir) => {
  const text = join(dir, 'notes.wav');
  writeFileSync(text, 'this is not audio at all');
  await assert.rejects(readWav(text), /is not a readable WAV file/);
  await assert.rejects(readWav(join(dir, 'missing.wav')), /ENOENT/);
  const big = join(dir, 'big.wav');
  writeFileSync(big, Buffer.alloc(MAX_WAV_BYTES + 1));
  await assert.rejects(readWav(big), /too large/);
}));

test('files longer than the duration cap are refused before conversion', withTempDir(async (dir) => {
  // 8 kHz 8-bit mono: 11 minutes fit in 5.3 MB, well under the byte cap.
  const path = join(dir, 'long.wav');
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, 8_000, '8', new Uint8Array(8_000 * 660).fill(128));
  writeFileSync(path, wav.toBuffer());
  await assert.rejects(readWav(path), /too long/);
}));
