/**
 * @module test/support/recording-call-media
 * A CallMediaFactory with no RTC behind it, for tests of the call shell: it records every call
 * the engine makes into the media port, answers with a fixed valid SDP, and reports "connected"
 * once a session has both its own and the remote description (as ICE and DTLS would on a
 * loopback link). The media port is an injected port, so a fake of it is the engine's real
 * boundary, not a stub of the thing under test.
 */
import type { CallMediaFactory, CallMediaHandlers } from '@sotto/core';

const FINGERPRINT = 'd2:fa:0e:c3:22:59:5e:14:95:69:92:3d:13:b4:84:24:2c:c2:a2:c0:3e:fd:34:8e:5e:ea:6f:af:52:ce:e6:0f';

/** A minimal audio-only SDP of the shape werift produces, with no candidates (they trickle). */
function sdp(setup: 'actpass' | 'active'): string {
  return [
    'v=0',
    'o=- 1732491234567 0 IN IP4 0.0.0.0',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic:WMS *',
    'm=audio 9 UDP/TLS/RTP/SAVPF 96',
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:9f3a',
    'a=ice-pwd:1b2c3d4e5f6a7b8c9d0e1f2a3b',
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${FINGERPRINT}`,
    `a=setup:${setup}`,
    'a=sendrecv',
    'a=mid:0',
    'a=rtcp-mux',
    'a=rtpmap:96 opus/48000/2',
    '',
  ].join('\n');
}

export interface RecordingCallMedia extends CallMediaFactory {
  /** Every call into the port, in order: 'createSession', 'createOffer', 'setRemoteDescription:answer', 'close'... */
  readonly log: string[];
}

/** `video`: the port carries video too (enableVideo, openCamera), as the browser's does; without it, voice only, as the CLI's. */
export function recordingCallMedia(options: { readonly video?: boolean } = {}): RecordingCallMedia {
  const log: string[] = [];
  return {
    log,
    createSession(_options, handlers: CallMediaHandlers) {
      log.push('createSession');
      let local = false;
      let remote = false;
      let closed = false;
      const connectWhenBothSet = () => {
        if (local && remote && !closed) setTimeout(() => closed || handlers.onConnected(), 0);
      };
      return {
        openMicrophone: async () => void log.push('openMicrophone'),
        createOffer: async () => {
          log.push('createOffer');
          local = true;
          connectWhenBothSet();
          return sdp('actpass');
        },
        createAnswer: async () => {
          log.push('createAnswer');
          local = true;
          connectWhenBothSet();
          return sdp('active');
        },
        setRemoteDescription: async (kind) => {
          log.push(`setRemoteDescription:${kind}`);
          remote = true;
          connectWhenBothSet();
        },
        addIceCandidate: async () => void log.push('addIceCandidate'),
        ...(options.video ? {
          enableVideo: async () => void log.push('enableVideo'),
          openCamera: async () => void log.push('openCamera'),
        } : {}),
        close: async () => {
          if (!closed) log.push('close');
          closed = true;
        },
      };
    },
  };
}
