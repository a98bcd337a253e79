/**
 * @module calls/wav
 * WAV files in and out of the call shell: a bot's "microphone" is a WAV file, and a recording of
 * what the peer said is written as one. Everything inside a call is 48 kHz mono 16-bit PCM (what
 * Opus runs at), so reading converts to that; the conversions themselves are wavefile's.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import wavefile from 'wavefile';

/** The one sample rate used inside calls (Opus' native rate). */
export const CALL_SAMPLE_RATE = 48_000;
/** Larger inputs are refused before being read: the file is loaded whole, then converted. */
export const MAX_WAV_BYTES = 50 * 1024 * 1024;
/**
 * Longer inputs are refused before conversion. The byte cap alone does not bound memory: 50 MB
 * of 8 kHz 8-bit audio is ~100 minutes, which becomes gigabytes of float samples while resampling.
 */
export const MAX_WAV_SECONDS = 10 * 60;

/** The fields of wavefile's `fmt` chunk that we read (its typings say only `object`). */
interface FmtChunk {
  readonly audioFormat: number;
  readonly numChannels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
}

// WAVE format tags (RIFF registry) that wavefile can turn into linear PCM.
const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_IMA_ADPCM = 17;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Reads a WAV file as 48 kHz mono 16-bit PCM: other bit depths, G.711 and IMA ADPCM are
 * decoded, several channels are averaged, other sample rates are resampled.
 * Throws an Error naming the file if it is too large, too long or not a WAV file we can read.
 */
export async function readWav(path: string): Promise<Int16Array> {
  const size = (await stat(path)).size;
  if (size > MAX_WAV_BYTES) throw new Error(`${path}: WAV file too large (${size} bytes, the limit is ${MAX_WAV_BYTES})`);
  const bytes = await readFile(path);
  // The file may have grown between stat and read.
  if (bytes.length > MAX_WAV_BYTES) throw new Error(`${path}: WAV file too large (the limit is ${MAX_WAV_BYTES} bytes)`);

  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (error) {
    throw new Error(`${path} is not a readable WAV file: ${error instanceof Error ? error.message : String(error)}`);
  }
  const fmt = wav.fmt as FmtChunk;
  if (!(fmt.numChannels >= 1) || !(fmt.sampleRate >= 1)) throw new Error(`${path}: WAV header has no channels or no sample rate`);
  // For the formats we accept, the data size fixes the duration closely enough (ADPCM is 4 bits a sample).
  const bitsPerFrame = fmt.numChannels * (fmt.audioFormat === FORMAT_IMA_ADPCM ? 4 : Math.max(fmt.bitsPerSample, 1));
  const seconds = (wavDataBytes(wav) * 8) / bitsPerFrame / fmt.sampleRate;
  if (seconds > MAX_WAV_SECONDS) throw new Error(`${path}: WAV file too long (${Math.round(seconds)} s, the limit is ${MAX_WAV_SECONDS} s)`);

  try {
    switch (fmt.audioFormat) {
      case FORMAT_PCM:
      case FORMAT_FLOAT:
      case FORMAT_EXTENSIBLE:
        if (wav.bitDepth !== '16') wav.toBitDepth('16');
        break;
      case FORMAT_ALAW:
        wav.fromALaw('16');
        break;
      case FORMAT_MULAW:
        wav.fromMuLaw('16');
        break;
      case FORMAT_IMA_ADPCM:
        wav.fromIMAADPCM('16');
        break;
      default:
        throw new Error(`unsupported WAV encoding (format tag ${fmt.audioFormat})`);
    }
    if (fmt.numChannels > 1) downmixToMono(wav);
    if ((wav.fmt as FmtChunk).sampleRate !== CALL_SAMPLE_RATE) wav.toSampleRate(CALL_SAMPLE_RATE);
    return wav.getSamples(false, Int16Array) as unknown as Int16Array;
  } catch (error) {
    throw new Error(`${path}: cannot convert WAV to ${CALL_SAMPLE_RATE} Hz mono 16-bit: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Writes mono 16-bit PCM as a WAV file, private to its owner (a recording is call content). */
export async function writeWav(path: string, pcm: Int16Array, sampleRate: number = CALL_SAMPLE_RATE): Promise<void> {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  await writeFile(path, wav.toBuffer(), { mode: 0o600 });
}

/** Size of the `data` chunk as parsed by wavefile. */
function wavDataBytes(wav: wavefile.WaveFile): number {
  const data = (wav as unknown as { data?: { chunkSize?: number; samples?: Uint8Array } }).data;
  return data?.samples?.length ?? data?.chunkSize ?? 0;
}

/** Replaces a 16-bit multi-channel file by the average of its channels, at the same rate. */
function downmixToMono(wav: wavefile.WaveFile): void {
  const fmt = wav.fmt as FmtChunk;
  // De-interleaved: one array per channel.
  const channels = wav.getSamples(false) as unknown as Float64Array[];
  const first = channels[0];
  if (!first) throw new Error('WAV file has no channel data');
  const mono = new Int16Array(first.length);
  for (let i = 0; i < mono.length; i++) {
    let sum = 0;
    for (const channel of channels) sum += channel[i] ?? 0;
    mono[i] = Math.round(sum / channels.length);
  }
  wav.fromScratch(1, fmt.sampleRate, '16', mono);
}
