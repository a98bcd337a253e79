/**
 * @module app/ringtone
 * The sound of an incoming call, made with WebAudio: two tones (440 and 480 Hz, as a phone's
 * ring) on for a second and a half, off for three. Nothing is fetched, and nothing here opens the
 * microphone or any RTC: a ring is a request, and the consent rules leave media to Accept.
 */

const ON_SECONDS = 1.5;
const CYCLE_SECONDS = 4.5;
/** Scheduled up front (a ring times out well before this), so no timer runs while it rings. */
const CYCLES = 40;
const VOLUME = 0.12;

export class Ringtone {
  private context: AudioContext | undefined;

  get playing(): boolean {
    return this.context !== undefined;
  }

  /** Starts ringing; harmless when already ringing or where the browser has no WebAudio. */
  start(): void {
    if (this.context || typeof AudioContext === 'undefined') return;
    const context = new AudioContext();
    this.context = context;
    const gain = context.createGain();
    gain.gain.setValueAtTime(0, context.currentTime);
    for (let i = 0; i < CYCLES; i++) {
      const at = context.currentTime + i * CYCLE_SECONDS;
      gain.gain.setValueAtTime(VOLUME, at);
      gain.gain.setValueAtTime(0, at + ON_SECONDS);
    }
    gain.connect(context.destination);
    for (const frequency of [440, 480]) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start();
    }
    // A page the member has not touched yet may start suspended; resuming is all it may do.
    void context.resume().catch(() => undefined);
  }

  /** Stops ringing at once and lets the audio device go. */
  stop(): void {
    const context = this.context;
    this.context = undefined;
    void context?.close().catch(() => undefined);
  }
}
