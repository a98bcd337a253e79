/**
 * @module calls/voice-note
 * A voice note from a WAV file, for the CLI and bots: the audio read as 48 kHz mono (as calls
 * read it), encoded to Opus in 20 ms packets with libopus, and wrapped as Ogg Opus, the one
 * voice-note type. The duration and waveform the receiver shows are computed here, by the sender.
 * It lives beside the call media because it shares their codec and their WAV reader.
 */
import { randomBytes } from 'node:crypto';
import { basename, extname } from 'node:path';
import { LIMITS } from '@sotto/protocol';
import { ClientError, oggOpusFile, voiceNoteShape, type FileSource, type SendFileOptions } from '@sotto/core';
import { OpusCodec, OPUS_FRAME_SAMPLES } from './opus-codec.js';
import { CALL_SAMPLE_RATE, readWav } from './wav.js';

/** libopus' look-ahead at 48 kHz (2.5 ms of delay plus 4 ms of delay compensation): what a decoder drops first. */
const OPUS_PRE_SKIP = 312;

export interface VoiceNote {
  readonly file: FileSource;
  readonly options: Pick<SendFileOptions, 'durationMs' | 'waveform'>;
}

/** The WAV at `path` as a voice note ready for `attachments.send`. */
export async function voiceNoteFromWav(path: string): Promise<VoiceNote> {
  let pcm: Int16Array;
  try {
    pcm = await readWav(path);
  } catch (error) {
    throw new ClientError('INVALID_INPUT', error instanceof Error ? error.message : `${path} is not a readable WAV file.`);
  }
  const shape = voiceNoteShape({ samples: pcm, sampleRate: CALL_SAMPLE_RATE });
  if (shape.durationMs < 1) throw new ClientError('INVALID_INPUT', `${path} holds no audio.`);
  if (shape.durationMs > LIMITS.voiceNoteMaxMs) throw new ClientError('INVALID_INPUT', `A voice note lasts at most ${LIMITS.voiceNoteMaxMs / 60_000} minutes; ${path} is longer. Send it as a file.`);
  const codec = new OpusCodec();
  const packets: Uint8Array[] = [];
  try {
    for (let at = 0; at < pcm.length; at += OPUS_FRAME_SAMPLES) {
      const frame = new Int16Array(OPUS_FRAME_SAMPLES);
      frame.set(pcm.subarray(at, at + OPUS_FRAME_SAMPLES));
      packets.push(codec.encode(frame));
    }
  } finally {
    codec.close();
  }
  const bytes = oggOpusFile(packets, {
    channels: 1, inputSampleRate: CALL_SAMPLE_RATE, preSkip: OPUS_PRE_SKIP, packetSamples: OPUS_FRAME_SAMPLES, serial: randomBytes(4).readUInt32LE(0),
  });
  const name = `${basename(path, extname(path)) || 'voice-note'}.ogg`;
  return {
    file: {
      name,
      size: bytes.byteLength,
      async *read() {
        yield bytes;
      },
    },
    options: { durationMs: shape.durationMs, waveform: shape.waveform },
  };
}
