/**
 * @module calls/call-media: the port through which the call shell drives a real RTC stack
 * (werift in Node, the browser's RTCPeerConnection on the web). The engine decides *when*
 * (the call machine's effects); an implementation only knows *how*.
 *
 * Contract, relied on by the consent rules: an implementation does nothing before
 * `createSession` is called (no sockets, no ICE gathering, no microphone), and a session
 * gathers candidates only once it creates or answers an offer.
 */

/** A STUN/TURN server, in RTCIceServer shape. */
export interface IceServer {
  readonly urls: readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

export interface CallMediaOptions {
  readonly iceServers: readonly IceServer[];
  /** Gather only relay candidates (through TURN), so the peer never learns this device's IP. */
  readonly relayOnly: boolean;
  /** Also gather loopback host candidates: only for tests that run both ends on one machine. */
  readonly allowLoopback: boolean;
  /**
   * A video call: negotiate a video section (VP8) beside the audio one, and show the peer's
   * video. Sending it needs `openCamera` too. An implementation without video (the CLI) answers
   * the video section as rejected, and its member's call is voice only.
   */
  readonly video?: boolean;
}

export interface CallMediaHandlers {
  /** A local candidate, as an RFC 8839 `candidate:...` attribute value (no `a=` prefix). */
  onLocalCandidate(candidate: string): void;
  /** ICE and DTLS are up: media can flow. */
  onConnected(): void;
  /** ICE or DTLS failed, or the connection dropped for good. */
  onFailed(reason: string): void;
  /** The first RTP packet of the peer's audio arrived (used for set-up timing). */
  onFirstRemoteAudio(): void;
}

/** One peer connection with one Opus audio track. */
export interface CallMediaSession {
  /** Opens the audio source (the microphone, or a file for bots). */
  openMicrophone(): Promise<void>;
  /** Opens the camera and sends it on the video section (video calls; absent where there is no video). */
  openCamera?(): Promise<void>;
  /**
   * A voice call becomes a video call (both members consented): the next offer or answer has a
   * video section. Absent where there is no video: such a device declines every ask for video.
   */
  enableVideo?(): Promise<void>;
  /** Our offer; the SDP carries no candidates (they trickle through `onLocalCandidate`). */
  createOffer(): Promise<string>;
  /** Our answer to the remote offer set before; no candidates, as for the offer. */
  createAnswer(): Promise<string>;
  /** A remote description that already passed `validateSdp` (its normalised form). */
  setRemoteDescription(kind: 'offer' | 'answer', sdp: string): Promise<void>;
  /** A remote candidate that already passed the candidate policy. */
  addIceCandidate(candidate: string): Promise<void>;
  /** Stops media, releases the source, closes sockets; idempotent. */
  close(): Promise<void>;
}

export interface CallMediaFactory {
  createSession(options: CallMediaOptions, handlers: CallMediaHandlers): CallMediaSession;
}
