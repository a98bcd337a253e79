/** @module calls: the Node media shell for 1:1 voice calls (werift, Opus, WAV files). */
export { WeriftCallMedia, stripCandidates, type WeriftCallMediaOptions } from './werift-call-media.js';
export { OpusCodec, OPUS_FRAME_SAMPLES, MAX_OPUS_PACKET_BYTES } from './opus-codec.js';
export { AudioSource, FRAME_MS, type AudioSourceOptions } from './audio-source.js';
export { AudioRecorder, DEFAULT_MAX_RECORD_SECONDS, type AudioRecorderOptions } from './audio-recorder.js';
export { readWav, writeWav, CALL_SAMPLE_RATE, MAX_WAV_BYTES, MAX_WAV_SECONDS } from './wav.js';
export { goertzel, sineWave } from './goertzel.js';
export { voiceNoteFromWav, type VoiceNote } from './voice-note.js';
export { JanusGroupCallMedia, type JanusGroupCallMediaOptions } from './group/janus-group-call-media.js';
export { GroupAudioMixer } from './group/group-audio-mixer.js';
