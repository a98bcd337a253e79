/**
 * @module calls/goertzel
 * Tone detection for tests and scenario checks: the Goertzel algorithm measures how much of one
 * frequency a PCM signal holds, so a test can tell a 440 Hz caller from a 660 Hz callee in a
 * recording without an FFT.
 */

/**
 * Hoisted on purpose. Read inside a hot function, `Math.PI` makes V8's background compiler box
 * a double, which can need a GC; at process exit Node 20 then deadlocks (nodejs/node#54918) and
 * a test run hangs. A module constant is already boxed.
 */
const TWO_PI = 2 * Math.PI;

/**
 * Power of `frequency` in `samples`, normalised to the signal's total power: about 1 for a pure
 * tone at that frequency, near 0 when it is absent, 0 for silence. Frame-by-frame codecs shift
 * and scale the waveform, so a relative measure compares recordings better than an absolute one.
 */
export function goertzel(samples: ArrayLike<number>, frequency: number, sampleRate: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coefficient = 2 * Math.cos((TWO_PI * frequency) / sampleRate);
  let previous = 0;
  let beforePrevious = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i] ?? 0;
    energy += x * x;
    const current = x + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  if (energy === 0) return 0;
  // |X(f)|^2 for the bin at `frequency`; for a pure tone of amplitude A it is (A * n / 2)^2,
  // while the total energy is A^2 * n / 2: so the ratio below is 1 for a pure tone.
  const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return (2 * power) / (n * energy);
}

/** A sine tone as 16-bit PCM, for test fixtures. */
export function sineWave(frequency: number, seconds: number, sampleRate: number, amplitude = 0.5): Int16Array {
  const out = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((TWO_PI * frequency * i) / sampleRate));
  return out;
}
